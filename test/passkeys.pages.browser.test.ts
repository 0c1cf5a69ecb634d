/// <reference lib="dom" />
import type { Server } from 'node:http';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCallbackApp } from './helpers/callback-app.js';
import { launchChromium, screenshot } from './helpers/chromium.js';
import { uniqueEmail } from './helpers/mfa.js';
import { freePort } from './helpers/ports.js';
import { dialects, goodPassword, registerAndLogin, sqliteOnly, startServer, type TestServer } from './helpers/server.js';
import { claimsOf } from './helpers/webauthn.js';
import { pageWithAuthenticator } from './helpers/webauthn-browser.js';

let chromium: Browser;
beforeAll(async () => {
  chromium = await launchChromium();
});
afterAll(async () => chromium?.close());

/**
 * The passkey parts of the hosted pages (CONTRACT §5) in Debian's Chromium with its virtual authenticator: a person
 * adds a passkey on the account page, signs in to a client with it alone, uses it as the second step after a password
 * (hosted login and account page), and removes it with step-up. Nothing here calls the JSON API for the person: every
 * step is a click on a page, the page's script (pages/passkey-script.ts) runs the ceremony. The tests run in order:
 * adding a passkey, the passwordless login and the second step on SQLite and PostgreSQL, the rest on SQLite (sqliteOnly).
 */
describe.each(dialects)('passkeys on the hosted pages on %s (Debian chromium, virtual authenticator)', (dialect) => {
  let server: TestServer;
  let base: string;
  let callback: { server: Server; url: string };
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  let authenticatorId: string;
  let user: { email: string; userId: string };

  beforeAll(async () => {
    callback = await startCallbackApp();
    const port = await freePort();
    base = `http://localhost:${port}`;
    server = await startServer(dialect, {
      port,
      config: { server: { baseUrl: base }, clients: [{ clientID: 'web', name: 'Demo App', callbackURL: callback.url, config: { tokenMethod: 'query' } }] },
    });
    const email = uniqueEmail('passkey-pages');
    user = { email, userId: (await registerAndLogin(server, email)).userId };
    context = await chromium.newContext({ locale: 'en-US' });
    ({ page, cdp, authenticatorId } = await pageWithAuthenticator(context));
  });
  afterAll(async () => {
    await context?.close();
    await server?.close();
    callback?.server.close();
  });

  const passkeysOfUser = async () => (await server.app.services.database.db.selectFrom('passkeys').selectAll().where('account_id', '=', user.userId).execute());
  const security = () => page.locator('#security').locator('..');
  const passwordOnAccountPage = async () => {
    await page.goto(`${base}/account`);
    await page.locator('#login').fill(user.email);
    await page.locator('#password').fill(goodPassword);
    await page.locator('#password').press('Enter');
  };
  const signOut = async () => {
    await page.goto(`${base}/account`);
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.locator('#login').waitFor();
  };

  it('adds a passkey on the account page: the ceremony in the page, ten recovery codes once, then the list shows it', async () => {
    await passwordOnAccountPage();
    await page.getByRole('heading', { name: 'Two-step sign-in' }).waitFor();
    expect(await security().textContent()).toContain('No passkey yet.');
    const loaded = await page.goto(`${base}/account`);
    expect(loaded!.headers()['content-security-policy']).toMatch(/script-src 'self'; connect-src 'self'/);
    await page.locator('#passkey-name').fill('Laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.locator('#recovery-codes').waitFor();
    expect(await page.getByRole('status').textContent()).toContain('The passkey was added.');
    expect(await page.locator('#recovery-codes li').count()).toBe(10);
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]).toMatchObject({ rpId: 'localhost', isResidentCredential: true });
    expect(await passkeysOfUser()).toEqual([expect.objectContaining({ name: 'Laptop', last_used_at: null })]);
    await page.getByRole('link', { name: 'Back to your account' }).click();
    const row = page.locator('#passkey-list tbody tr');
    expect(await row.count()).toBe(1);
    expect(await row.textContent()).toMatch(/Laptop[\s\S]*never/);
    expect(await security().textContent()).toContain('No authenticator app is set up.');
    expect(await security().textContent()).toContain('Recovery codes left: 10');
    await screenshot(page, 'account-passkeys');
  });

  sqliteOnly(dialect)('renames it', async () => {
    const row = page.locator('#passkey-list tbody tr');
    await row.locator('summary', { hasText: 'Rename' }).click();
    await row.getByLabel('New name').fill('Work laptop');
    await row.getByRole('button', { name: 'Rename' }).click();
    expect(await page.getByRole('status').textContent()).toContain('The passkey was renamed.');
    expect((await passkeysOfUser())[0]!.name).toBe('Work laptop');
  });

  it('signs in to a client with "Sign in with a passkey" alone: the callback gets a token whose amr is hwk+mfa', async () => {
    await signOut();
    await page.goto(`${base}/auth/login?clientID=web`);
    await page.getByRole('heading', { name: 'Sign in with a passkey' }).waitFor();
    await screenshot(page, 'auth-login-passkey');
    await page.getByRole('button', { name: 'Continue with a passkey' }).click();
    await page.waitForURL((url) => url.href.startsWith(callback.url));
    const token = (await page.locator('#token').textContent())!;
    expect(claimsOf(token).amr).toEqual(['hwk', 'mfa']);
    expect((await server.request('GET', '/auth/user', { token })).body.id).toBe(user.userId);
    expect((await passkeysOfUser())[0]!.last_used_at).not.toBeNull();
  });

  it('a password login of the account shows the second page; "Use a passkey" lands on the client (amr pwd+hwk+mfa)', async () => {
    await page.goto(`${base}/auth/login?clientID=web`);
    await page.locator('#email').fill(user.email);
    await page.locator('#password').fill(goodPassword);
    await page.locator('#password').press('Enter');
    await page.getByRole('button', { name: 'Use a passkey' }).waitFor();
    expect(await page.locator('h1').textContent()).toBe('Second step');
    // Only a passkey and recovery codes are set up: no authenticator-app field.
    expect(await page.locator('#totp-code').count()).toBe(0);
    await screenshot(page, 'auth-login-mfa-passkey');
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.waitForURL((url) => url.href.startsWith(callback.url));
    const token = (await page.locator('#token').textContent())!;
    expect(claimsOf(token).amr).toEqual(['pwd', 'hwk', 'mfa']);
  });

  sqliteOnly(dialect)('the account page\'s sign-in asks for the second step too, and the passkey opens the account page', async () => {
    await passwordOnAccountPage();
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.getByRole('heading', { name: 'Two-step sign-in' }).waitFor();
    expect(page.url()).toBe(`${base}/account`);
    expect(await page.locator('#passkey-list tbody tr').textContent()).not.toContain('never');
  });

  sqliteOnly(dialect)('removing it needs step-up: a wrong password is refused, the right one removes it and its recovery codes', async () => {
    const row = page.locator('#passkey-list tbody tr');
    const { id } = (await passkeysOfUser())[0]!;
    await row.locator('summary', { hasText: 'Remove this passkey' }).click();
    await page.locator(`[id="remove-${id}-password"]`).fill('not-the-password');
    const refused = page.waitForResponse((response) => response.url().endsWith('/account/mfa/passkeys/remove'));
    await row.getByRole('button', { name: 'Remove this passkey' }).click();
    expect((await refused).status()).toBe(401);
    expect(await page.getByRole('alert').textContent()).toContain('The password or code is wrong.');
    expect(await passkeysOfUser()).toHaveLength(1);
    await page.getByRole('link', { name: 'Back to your account' }).click();
    await page.locator('#passkey-list summary', { hasText: 'Remove this passkey' }).click();
    await page.locator(`[id="remove-${id}-password"]`).fill(goodPassword);
    await page.getByRole('button', { name: 'Remove this passkey' }).click();
    expect(await page.getByRole('status').textContent()).toContain('The passkey was removed.');
    expect(await passkeysOfUser()).toHaveLength(0);
    await page.getByRole('link', { name: 'Back to your account' }).click();
    expect(await security().textContent()).toContain('No passkey yet.');
    expect((await server.request('GET', '/api/auth/mfa', { token: (await registerlessToken()) })).body).toMatchObject({ passkeys: 0, recoveryCodesLeft: 0 });
  });

  sqliteOnly(dialect)('the removed passkey, still in an authenticator, is refused on the login page, in German', async () => {
    // A German browser whose authenticator holds a copy of the removed credential.
    const { credentials: [credential] } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    const german = await chromium.newContext({ locale: 'de-DE' });
    try {
      const other = await pageWithAuthenticator(german);
      await other.cdp.send('WebAuthn.addCredential', { authenticatorId: other.authenticatorId, credential: credential! });
      await other.page.goto(`${base}/auth/login?clientID=web`);
      const answer = other.page.waitForResponse((response) => response.url().includes('/auth/login/passkey'));
      await other.page.getByRole('heading', { name: 'Mit einem Passkey anmelden' }).waitFor();
      await other.page.getByRole('button', { name: 'Mit einem Passkey fortfahren' }).click();
      expect((await answer).status()).toBe(401);
      expect(await other.page.getByRole('alert').first().textContent()).toContain('Dieser Passkey wurde nicht akzeptiert.');
      expect(other.page.url().startsWith(callback.url)).toBe(false);
      await screenshot(other.page, 'auth-login-passkey-refused-de');
    } finally {
      await german.close();
    }
  });

  /** A fresh access token of the person (password only: the passkey is gone, so no second step). */
  async function registerlessToken(): Promise<string> {
    const login = await server.request('POST', '/api/auth/login', { json: { email: user.email, password: goodPassword } });
    expect(login.status, login.text).toBe(200);
    return login.body.accessToken;
  }
});
