/// <reference lib="dom" />
import type { Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCallbackApp } from './helpers/callback-app.js';
import { launchChromium, screenshot } from './helpers/chromium.js';
import { claimsOf, oathtool, STEP, uniqueEmail } from './helpers/mfa.js';
import { goodPassword, startServer, type TestServer } from './helpers/server.js';

/**
 * `mfa.requiredFor: [all]` on the hosted pages (CONTRACT §5): an account without a factor sets up an authenticator app
 * inside its sign-in — QR page, oathtool's first code, recovery codes once — and continues where it began.
 */
describe('an account that must use a second factor sets one up inside its sign-in (Debian chromium)', () => {
  let server: TestServer;
  let chromium: Browser;
  let callback: { server: Server; url: string };
  let page: Page;

  beforeAll(async () => {
    callback = await startCallbackApp();
    server = await startServer('sqlite', {
      config: { mfa: { requiredFor: ['all'] }, signup: { alwaysConfirm: true }, clients: [{ clientID: 'web', callbackURL: callback.url, config: { tokenMethod: 'query' } }] },
    });
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await server?.close();
    callback?.server.close();
  });

  const register = async () => {
    const email = uniqueEmail('must-enrol');
    expect((await server.request('POST', '/api/auth/register', { json: { email, password: goodPassword } })).status).toBe(201);
    page = await (await chromium.newContext({ locale: 'en-US' })).newPage();
    page.setDefaultTimeout(10_000);
    return email;
  };
  /** From the "must set up" page to the recovery codes: a wrong first code shown again, then oathtool's. */
  const enrol = async () => {
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    await page.locator('figure.qr svg').waitFor();
    const secret = (await page.locator('#totp-secret').textContent())!;
    await page.locator('#setup-code').fill('000000');
    await page.locator('#setup-code').press('Enter');
    await expect.poll(() => page.locator('#setup-code-error').textContent()).toContain('That code is wrong');
    expect(await page.locator('#totp-secret').textContent()).toBe(secret);
    await page.locator('#setup-code').fill(oathtool(secret, server.clock.now()));
    await page.locator('#setup-code').press('Enter');
    await page.locator('#recovery-codes').waitFor();
    expect(await page.locator('#recovery-codes li').count()).toBe(10);
    return secret;
  };

  it('on a client\'s login page: password, "set up", QR and first code, codes, continue — the client gets a token with amr otp+mfa', async () => {
    const email = await register();
    await page.goto(`${server.url}/auth/login?clientID=web`);
    await page.locator('#email').fill(email);
    await page.locator('#password').fill(goodPassword);
    await page.locator('#password').press('Enter');
    await page.getByText('This account must set up a second factor').waitFor();
    const secret = await enrol();
    await screenshot(page, 'auth-login-mfa-enrolled');
    await page.getByRole('button', { name: 'Continue signing in' }).click();
    await page.waitForURL((url) => url.href.startsWith(callback.url));
    expect(claimsOf((await page.locator('#token').textContent())!).amr).toEqual(['pwd', 'otp', 'mfa']);
    // From now on the sign-in asks for a code, as for any account with one.
    await page.goto(`${server.url}/auth/login?clientID=web`);
    await page.locator('#email').fill(email);
    await page.locator('#password').fill(goodPassword);
    await page.locator('#password').press('Enter');
    await page.locator('#totp-code').waitFor();
    server.clock.advance(STEP);
    await page.locator('#totp-code').fill(oathtool(secret, server.clock.now()));
    await page.locator('#totp-code').press('Enter');
    await page.waitForURL((url) => url.href.startsWith(callback.url));
    await page.context().close();
  });

  it('on the account page: the same, ending signed in on the account page', async () => {
    const email = await register();
    await page.goto(`${server.url}/account`);
    await page.locator('#login').fill(email);
    await page.locator('#password').fill(goodPassword);
    await page.locator('#password').press('Enter');
    await enrol();
    await page.getByRole('button', { name: 'Continue signing in' }).click();
    await page.waitForURL((url) => url.pathname === '/account');
    await expect.poll(() => page.locator('#security').locator('..').textContent()).toContain('An authenticator app is set up.');
    await page.context().close();
  });

  it('the continue form is worth nothing without the set-up: a forged "enrolled" answer for a fresh sign-in is refused', async () => {
    const email = await register();
    const login = await server.request('POST', '/api/auth/login', { json: { email, password: goodPassword } });
    expect(login.body).toMatchObject({ code: 'mfa-required', enroll: true });
    const form = new URLSearchParams({ mfaToken: login.body.mfaToken, method: 'enrolled' }).toString();
    const forged = await server.request('POST', '/auth/login/mfa?clientID=web', { body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(forged.status).toBe(401);
    expect(forged.headers.get('location')).toBeNull();
    // The API does not take it at all.
    const api = await server.request('POST', '/api/auth/mfa/verify', { json: { mfaToken: login.body.mfaToken, method: 'enrolled' } });
    expect(api.status).toBe(400);
    await page.context().close();
  });
});
