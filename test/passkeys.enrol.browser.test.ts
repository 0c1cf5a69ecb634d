/// <reference lib="dom" />
import type { Server } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCallbackApp } from './helpers/callback-app.js';
import { launchChromium, screenshot } from './helpers/chromium.js';
import { claimsOf, uniqueEmail } from './helpers/mfa.js';
import { freePort } from './helpers/ports.js';
import { goodPassword, startServer, type TestServer } from './helpers/server.js';
import { auditEvents, softPasskey } from './helpers/webauthn.js';
import { pageWithAuthenticator } from './helpers/webauthn-browser.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/**
 * `mfa.requiredFor: [all]` on the hosted pages with a passkey (CONTRACT §5), in Debian's Chromium with its virtual
 * authenticator: an account without a factor adds a passkey right inside its sign-in — the page's script registers it
 * with the enrolment-only mfaToken — sees its recovery codes once, and continues where it began (amr pwd+hwk+mfa).
 * The authenticator-app path is test/mfa.enrol.browser.test.ts.
 */
describe('an account that must use a second factor adds a passkey inside its sign-in (Debian chromium, virtual authenticator)', () => {
  let server: TestServer;
  let base: string;
  let chromium: Browser;
  let callback: { server: Server; url: string };
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    callback = await startCallbackApp();
    const port = await freePort();
    base = `http://localhost:${port}`;
    server = await startServer('sqlite', {
      port,
      config: {
        server: { baseUrl: base }, mfa: { requiredFor: ['all'] }, signup: { alwaysConfirm: true },
        clients: [{ clientID: 'web', callbackURL: callback.url, config: { tokenMethod: 'query' } }],
      },
    });
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await server?.close();
    callback?.server.close();
  });

  const register = async () => {
    const email = uniqueEmail('must-enrol-passkey');
    expect((await server.request('POST', '/api/auth/register', { json: { email, password: goodPassword } })).status).toBe(201);
    context = await chromium.newContext({ locale: 'en-US' });
    ({ page } = await pageWithAuthenticator(context));
    return email;
  };
  const passwordOn = async (path: string, email: string, loginField: string) => {
    await page.goto(`${base}${path}`);
    await page.locator(loginField).fill(email);
    await page.locator('#password').fill(goodPassword);
    await page.locator('#password').press('Enter');
  };
  const accountOf = async (email: string) => (await server.app.services.database.db.selectFrom('accounts').select('id').where('email', '=', email).executeTakeFirstOrThrow()).id;

  it('on a client\'s login page: password, "Add a passkey", the codes once, continue — the client gets a token with amr pwd+hwk+mfa', async () => {
    const email = await register();
    await passwordOn('/auth/login?clientID=web', email, '#email');
    await page.getByText('add a passkey of this device, or set up an authenticator app').waitFor();
    expect(await page.getByRole('button', { name: 'Set up an authenticator app' }).count()).toBe(1);
    // Nothing to answer with yet: no "Use a passkey", no code field.
    expect(await page.getByRole('button', { name: 'Use a passkey' }).count()).toBe(0);
    expect(await page.locator('#totp-code').count()).toBe(0);
    await screenshot(page, 'auth-login-mfa-enrol-choice');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.locator('#recovery-codes').waitFor();
    expect(await page.getByRole('status').textContent()).toContain('The passkey was added.');
    expect(await page.locator('#recovery-codes li').count()).toBe(10);
    await page.getByRole('button', { name: 'Continue signing in' }).click();
    await page.waitForURL((url) => url.href.startsWith(callback.url));
    expect(claimsOf((await page.locator('#token').textContent())!).amr).toEqual(['pwd', 'hwk', 'mfa']);
    const userId = await accountOf(email);
    expect(await auditEvents(server, userId, 'mfa.enrolled')).toEqual([{ data: { method: 'webauthn', passkeyId: expect.any(String) } }]);

    // From now on the sign-in asks for the passkey, as for any account with one.
    await passwordOn('/auth/login?clientID=web', email, '#email');
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.waitForURL((url) => url.href.startsWith(callback.url));
    expect(claimsOf((await page.locator('#token').textContent())!).amr).toEqual(['pwd', 'hwk', 'mfa']);
    await context.close();
  });

  it('on the account page: the same, ending signed in on the account page with the passkey listed', async () => {
    const email = await register();
    await passwordOn('/account', email, '#login');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.locator('#recovery-codes').waitFor();
    await page.getByRole('button', { name: 'Continue signing in' }).click();
    await page.waitForURL((url) => url.pathname === '/account');
    await page.locator('#passkey-list').waitFor();
    expect(await page.locator('#passkey-list tbody tr').count()).toBe(1);
    await context.close();
  });

  it('refused: a credential that does not verify shows the choice again and enrols nothing; "continue" is then worth nothing', async () => {
    const email = await register();
    await context.close();
    const login = await server.request('POST', '/api/auth/login', { json: { email, password: goodPassword } });
    expect(login.body).toMatchObject({ code: 'mfa-required', enroll: true });
    const { mfaToken } = login.body;
    const post = (path: string, fields: Record<string, string>) => server.request('POST', path, { body: new URLSearchParams(fields).toString(), headers: FORM });
    // Made for options this sign-in never asked for (a challenge of no one's): refused.
    const stranger = softPasskey(server).create({ challenge: 'AAAA', user: { id: 'AAAA', name: 'x' }, rp: { id: 'localhost' } });
    const refused = await post('/auth/mfa/enrol/passkey', { mfaToken, credential: JSON.stringify(stranger) });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('The passkey could not be added.');
    expect(refused.text).toContain('data-passkey="enrol"');
    expect((await post('/auth/mfa/enrol/passkey', { mfaToken, credential: '{"type":"public-key"}' })).status).toBe(400);
    expect(await server.app.services.database.db.selectFrom('passkeys').selectAll().where('account_id', '=', await accountOf(email)).execute()).toEqual([]);
    const forged = await post('/auth/login/mfa?clientID=web', { mfaToken, method: 'enrolled' });
    expect(forged.status).toBe(401);
    expect(forged.headers.get('location')).toBeNull();
    // An unknown token is an expired sign-in, not a registration.
    expect((await post('/auth/mfa/enrol/passkey', { mfaToken: 'gh_mfa_nothing', credential: JSON.stringify(stranger) })).status).toBe(401);
  });
});
