import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSKEY_SCRIPT_PATH } from '../src/pages/passkey-script.js';
import { launchChromium } from './helpers/chromium.js';
import { passwordStep, uniqueEmail } from './helpers/mfa.js';
import { freePort } from './helpers/ports.js';
import { registerAndLogin, startServer, type TestServer } from './helpers/server.js';
import { claimsOf } from './helpers/webauthn.js';
import { ceremonyInPage, pageWithAuthenticator } from './helpers/webauthn-browser.js';

/**
 * `GET /assets/passkey.js`, the script the hosted pages can load: its headers, and in Debian's Chromium (virtual
 * authenticator) the login and second-step forms it drives. The forms here stand in for the hosted pages' (which
 * the lead writes); their action is captured, and what they would post is checked against the API.
 */
describe('the passkey script for hosted pages', () => {
  let server: TestServer;
  let base: string;
  let chromium: Browser;
  let context: BrowserContext;
  let page: Page;
  let user: { email: string; userId: string };
  let posted: URLSearchParams[];

  beforeAll(async () => {
    const port = await freePort();
    base = `http://localhost:${port}`;
    server = await startServer('sqlite', { port, config: { server: { baseUrl: base } } });
    chromium = await launchChromium();
    // The stand-in forms are written into a page of the server whose CSP would forbid their action: bypassed here.
    context = await chromium.newContext({ bypassCSP: true });
    ({ page } = await pageWithAuthenticator(context));
    posted = [];
    await page.route('**/captured', async (route) => {
      posted.push(new URLSearchParams(route.request().postData() ?? ''));
      await route.fulfill({ status: 200, contentType: 'text/html', body: '<p id="done">posted</p>' });
    });
    const email = uniqueEmail('script');
    const { userId, accessToken } = await registerAndLogin(server, email);
    user = { email, userId };
    await page.goto(`${base}/docs/errors`);
    const registered = await page.evaluate(ceremonyInPage, { kind: 'create' as const, optionsPath: '/api/auth/passkeys/options', token: accessToken, post: { path: '/api/auth/passkeys', body: {} } });
    expect(registered.status).toBe(201);
  });
  afterAll(async () => {
    await context?.close();
    await chromium?.close();
    await server?.close();
  });

  /** Writes a form of `kind` into a page of the server, loads the script, presses the button; answers what the form posted. */
  const submitForm = async (kind: string, hidden: Record<string, string> = {}): Promise<URLSearchParams> => {
    await page.goto(`${base}/docs/errors`);
    const fields = Object.entries(hidden).map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`).join('');
    await page.setContent(`<form method="post" action="/captured" data-passkey="${kind}">${fields}<input type="hidden" name="credential">
      <p data-passkey-error hidden></p><button>Use a passkey</button></form><script src="${PASSKEY_SCRIPT_PATH}"></script>`);
    const before = posted.length;
    await page.click('button');
    await page.waitForSelector('#done');
    expect(posted).toHaveLength(before + 1);
    return posted.at(-1)!;
  };

  it('is served as versioned JavaScript: immutable under its version, revalidated (ETag) otherwise', async () => {
    const versioned = await server.request('GET', PASSKEY_SCRIPT_PATH);
    expect(versioned.status).toBe(200);
    expect(versioned.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(versioned.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(versioned.headers.get('x-content-type-options')).toBe('nosniff');
    expect(versioned.text).toContain('navigator.credentials.get');
    const bare = await server.request('GET', '/assets/passkey.js');
    expect(bare.headers.get('cache-control')).toBe('public, no-cache');
    const etag = bare.headers.get('etag')!;
    expect((await server.request('GET', '/assets/passkey.js', { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('a login form: the script runs the passwordless ceremony and posts the credential, which signs in (amr hwk+mfa)', async () => {
    const form = await submitForm('login');
    const credential = JSON.parse(form.get('credential')!);
    expect(credential.type).toBe('public-key');
    const login = await server.request('POST', '/api/auth/passkey/login', { json: { credential } });
    expect(login.status, login.text).toBe(200);
    expect(claimsOf(login.body.accessToken).amr).toEqual(['hwk', 'mfa']);
  });

  it('a second-step form: the script asks for the mfaToken\'s options and posts method, token and credential, which finish the login', async () => {
    const mfaToken = await passwordStep(server, user.email);
    const form = await submitForm('second-step', { mfaToken, method: 'webauthn' });
    expect(form.get('mfaToken')).toBe(mfaToken);
    expect(form.get('method')).toBe('webauthn');
    const verify = await server.request('POST', '/api/auth/mfa/verify', { json: { mfaToken, method: 'webauthn', credential: JSON.parse(form.get('credential')!) } });
    expect(verify.status, verify.text).toBe(200);
    expect(claimsOf(verify.body.accessToken).amr).toEqual(['pwd', 'hwk', 'mfa']);
  });

  it('shows the server\'s refusal in the form and posts nothing', async () => {
    await page.goto(`${base}/docs/errors`);
    await page.setContent(`<form method="post" action="/captured" data-passkey="second-step"><input type="hidden" name="mfaToken" value="gh_mfa_spent">
      <input type="hidden" name="credential"><p data-passkey-error hidden></p><button>Use a passkey</button></form><script src="${PASSKEY_SCRIPT_PATH}"></script>`);
    const before = posted.length;
    await page.click('button');
    await expect.poll(() => page.locator('[data-passkey-error]').textContent()).toMatch(/mfaToken/);
    expect(posted).toHaveLength(before);
  });
});
