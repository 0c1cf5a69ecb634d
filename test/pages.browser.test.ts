/// <reference lib="dom" />
import { createServer, type Server } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from './helpers/chromium.js';
import { goodPassword, registerAndLogin, startServer, type TestServer } from './helpers/server.js';

/** The client application a login redirects to: a real HTTP server that shows what it received. */
function startCallbackApp(): Promise<{ server: Server; url: string }> {
  return new Promise((resolve) => {
    const server = createServer((request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(`<h1>callback</h1><p id="token">${new URL(request.url ?? '/', 'http://x').searchParams.get('token') ?? ''}</p>`);
    });
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/callback` }));
  });
}

describe('hosted pages in a real browser (Debian chromium)', () => {
  let server: TestServer;
  let chromium: Browser;
  let callback: { server: Server; url: string };
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    callback = await startCallbackApp();
    server = await startServer('sqlite', {
      config: { clients: [{ clientID: 'web', callbackURL: callback.url, config: { tokenMethod: 'query' } }] },
    });
    await registerAndLogin(server, 'pat@example.com');
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await server?.close();
    callback?.server.close();
  });

  const fresh = async (locale = 'en-US') => {
    await context?.close();
    context = await chromium.newContext({ locale });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
  };

  it('logs in through /auth/login?clientID= and lands on the client with a working token', async () => {
    await fresh();
    await page.goto(`${server.url}/auth/login?clientID=web`);
    await screenshot(page, 'auth-login');
    await page.getByLabel('E-mail or user name').fill('pat@example.com');
    await page.getByLabel('Password').fill(goodPassword);
    // Keyboard only: Enter in the password field submits the form.
    await page.getByLabel('Password').press('Enter');
    await page.waitForURL((url) => url.href.startsWith(callback.url));
    const token = await page.locator('#token').textContent();
    expect((await server.request('GET', '/auth/user', { token: token! })).body.user).toBe('pat@example.com');
  });

  it('shows a wrong password on the login page itself', async () => {
    await fresh();
    await page.goto(`${server.url}/auth/login?clientID=web`);
    await page.getByLabel('E-mail or user name').fill('pat@example.com');
    await page.getByLabel('Password').fill('not-my-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.locator('.error').textContent()).toContain('Wrong e-mail or password.');
    await screenshot(page, 'auth-login-error');
  });

  it('signs in on /account, lists the sessions, ends another one and changes the password', async () => {
    const elsewhere = (await server.request('POST', '/api/auth/login', { json: { email: 'pat@example.com', password: goodPassword } })).body;
    await fresh();
    await page.goto(`${server.url}/account`);
    await screenshot(page, 'account-sign-in');
    await page.getByLabel('E-mail or user name').fill('pat@example.com');
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Wrong e-mail or password.');
    await page.getByLabel('E-mail or user name').fill('pat@example.com');
    await page.getByLabel('Password').fill(goodPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    expect(await page.locator('dd').first().textContent()).toBe('pat@example.com');
    expect(await page.locator('tbody tr').count()).toBeGreaterThanOrEqual(2);
    await screenshot(page, 'account');

    // End the API session (not this browser's) with its button.
    const elsewhereSession = JSON.parse(Buffer.from(elsewhere.accessToken.split('.')[1], 'base64url').toString()).sid;
    await page.locator(`tr:has(input[name="session"][value="${elsewhereSession}"])`).getByRole('button').click();
    await page.getByRole('status').waitFor();
    expect(await page.getByRole('status').textContent()).toContain('The session was ended.');
    expect((await server.request('GET', '/api/auth/account', { token: elsewhere.accessToken })).status).toBe(401);

    // Errors stand next to their field.
    await page.getByLabel('Current password').fill(goodPassword);
    await page.getByLabel('New password', { exact: true }).fill('short');
    await page.getByLabel('Repeat the new password').fill('short');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.locator('#password-error').waitFor();
    expect(await page.locator('#password-error').textContent()).toContain('at least 10 characters');
    expect(await page.getByLabel('New password', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'account-password-error');

    await page.getByLabel('Current password').fill(goodPassword);
    await page.getByLabel('New password', { exact: true }).fill('Browser-New-Pass-1');
    await page.getByLabel('Repeat the new password').fill('Browser-New-Pass-1');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('status').waitFor();
    expect(await page.getByRole('status').textContent()).toContain('Your password was changed.');
    expect((await server.request('POST', '/api/auth/login', { json: { email: 'pat@example.com', password: 'Browser-New-Pass-1' } })).status).toBe(200);

    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });

  it('speaks German to a German browser', async () => {
    await fresh('de-DE');
    await page.goto(`${server.url}/account`);
    expect(await page.locator('html').getAttribute('lang')).toBe('de');
    await page.getByLabel('E-Mail oder Benutzername').fill('pat@example.com');
    await page.getByLabel('Passwort').fill('Browser-New-Pass-1');
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.getByRole('heading', { name: 'Profil' }).waitFor();
    await screenshot(page, 'account-de');
    expect(await page.getByRole('heading', { name: 'Passwort ändern' }).count()).toBe(1);
  });

  it('refuses an account-page form without its token, even from the same origin', async () => {
    await fresh();
    await page.goto(`${server.url}/account`);
    await page.getByLabel('E-mail or user name').fill('pat@example.com');
    await page.getByLabel('Password').fill('Browser-New-Pass-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    // The page's CSP forbids scripts from fetching, so forge the way a page would: a same-origin form with a wrong token.
    const answer = page.waitForResponse((response) => response.url().endsWith('/account/logout'));
    await page.evaluate(() => {
      const form = document.createElement('form');
      form.method = 'post';
      form.action = '/account/logout';
      const input = document.createElement('input');
      input.name = 'csrf';
      input.value = 'forged';
      form.append(input);
      document.body.append(form);
      form.submit();
    });
    const status = (await answer).status();
    expect(status).toBe(403);
  });

  it('opens the e-mailed confirmation and reset links', async () => {
    await server.request('POST', '/api/auth/register', { json: { email: 'newbie@example.com', password: goodPassword } });
    const confirmMail = await server.smtp.waitFor((m) => m.to.includes('newbie@example.com'));
    await fresh();
    await page.goto(server.smtp.linkIn(confirmMail, '/auth/confirm/'));
    expect(await page.locator('h1').textContent()).toBe('E-mail confirmed');
    await screenshot(page, 'auth-confirm');

    await server.request('POST', '/api/auth/forgot-password', { json: { email: 'newbie@example.com' } });
    const resetMail = await server.smtp.waitFor((m) => m.to.includes('newbie@example.com') && /reset/i.test(m.subject));
    await page.goto(server.smtp.linkIn(resetMail, '/auth/password-reset/'));
    await screenshot(page, 'auth-password-reset');
    await page.getByLabel('New password').fill('Reset-In-Browser-7');
    await page.getByLabel('Repeat it').fill('Reset-In-Browser-7');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByText('Your password was changed').waitFor();
    await screenshot(page, 'auth-password-reset-done');
    expect((await server.request('POST', '/api/auth/login', { json: { email: 'newbie@example.com', password: 'Reset-In-Browser-7' } })).status).toBe(200);
  });
});
