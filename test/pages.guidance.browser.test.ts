/// <reference lib="dom" />
import type { Server } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCallbackApp } from './helpers/callback-app.js';
import { launchChromium, screenshot } from './helpers/chromium.js';
import { goodPassword, registerAndLogin, startServer, type TestServer } from './helpers/server.js';

/** Issue 16 item 2 and 3 in Debian's chromium: refusals are pages, the reset form has a page, success pages lead on. */
describe('hosted pages guide a person in a real browser (Debian chromium)', () => {
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
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await context?.close();
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
  const mailsTo = (email: string, subject: RegExp) => server.smtp.messages.filter((m) => m.to.includes(email) && subject.test(m.subject));

  it('shows a page, not JSON, for a login without a client or with an unknown one, in English and German', async () => {
    await fresh();
    const missing = await page.goto(`${server.url}/auth/login`);
    expect(missing!.status()).toBe(400);
    expect(missing!.headers()['content-type']).toContain('text/html');
    expect(await page.locator('h1').textContent()).toBe('This link is incomplete');
    expect(await page.getByRole('alert').textContent()).toContain('needs to know which application');
    await screenshot(page, 'auth-login-no-client');

    const unknown = await page.goto(`${server.url}/auth/login?clientID=no-such-app`);
    expect(unknown!.status()).toBe(400);
    expect(await page.locator('h1').textContent()).toBe('Unknown application');
    expect(await page.getByRole('alert').textContent()).toContain('“no-such-app” is not registered');

    await fresh('de-DE');
    await page.goto(`${server.url}/auth/login?clientID=no-such-app`);
    expect(await page.locator('html').getAttribute('lang')).toBe('de');
    expect(await page.locator('h1').textContent()).toBe('Unbekannte Anwendung');
    await screenshot(page, 'auth-login-unknown-client-de');
    await page.goto(`${server.url}/auth/password-reset?clientID=`);
    expect(await page.locator('h1').textContent()).toBe('Dieser Link ist unvollständig');
  });

  it('resets a password from a page of its own, and the "password changed" page leads on to the client', async () => {
    await registerAndLogin(server, 'own-page@example.com');
    await fresh();
    const form = await page.goto(`${server.url}/auth/password-reset?clientID=web`);
    expect(form!.status()).toBe(200);
    expect(await page.locator('h1').textContent()).toBe('Reset your password');
    await screenshot(page, 'auth-password-reset-request');
    await page.getByLabel('Your e-mail address').fill('own-page@example.com');
    await page.getByRole('button', { name: 'Send me a reset link' }).click();
    await page.waitForURL((url) => url.searchParams.get('email') === 'own-page@example.com');
    expect(await page.locator('h1').textContent()).toBe('Check your e-mail');

    await server.smtp.waitFor((m) => m.to.includes('own-page@example.com') && /reset/i.test(m.subject));
    await page.goto(server.smtp.linkIn(mailsTo('own-page@example.com', /reset/i)[0]!, '/auth/password-reset/'));
    await page.getByLabel('New password', { exact: true }).fill('Own-Page-Pass-9');
    await page.getByLabel('Repeat the new password').fill('Own-Page-Pass-9');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByText('Your password was changed').waitFor();
    await screenshot(page, 'auth-password-reset-done-onward');
    await page.getByRole('link', { name: 'Continue to the application' }).click();
    await page.waitForURL((url) => url.href.startsWith(callback.url));
    expect((await server.request('POST', '/api/auth/login', { json: { email: 'own-page@example.com', password: 'Own-Page-Pass-9' } })).status).toBe(200);
  });

  it('offers a new confirmation link on a login refused for confirmation; its page leads on to the client', async () => {
    const email = 'late-confirmer@example.com';
    expect((await server.request('POST', '/api/auth/register', { json: { email, password: goodPassword } })).status).toBe(201);
    await server.smtp.waitFor((m) => m.to.includes(email));
    await fresh();
    await page.goto(`${server.url}/auth/login?clientID=web`);
    await page.getByLabel('E-mail or user name').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(goodPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Please confirm your e-mail address first');
    await screenshot(page, 'auth-login-not-confirmed');
    // The address typed into the login form is already in the offer's field.
    expect(await page.locator('#resend-email').inputValue()).toBe(email);
    await page.getByRole('button', { name: 'Send a new confirmation link' }).click();
    await page.getByRole('status').waitFor();
    expect(await page.locator('h1').textContent()).toBe('Check your e-mail');
    expect(await page.getByRole('status').textContent()).toContain(`If an account with the address ${email} exists and is not confirmed yet`);
    await screenshot(page, 'auth-confirmation-resent');

    await server.smtp.waitFor(() => mailsTo(email, /Confirm/).length === 2);
    await page.goto(server.smtp.linkIn(mailsTo(email, /Confirm/)[1]!, '/auth/confirm/'));
    expect(await page.locator('h1').textContent()).toBe('E-mail confirmed');
    await page.getByRole('link', { name: 'Continue to the application' }).click();
    await page.waitForURL((url) => url.href.startsWith(callback.url));

    // Now the same login goes through.
    await page.goto(`${server.url}/auth/login?clientID=web`);
    await page.getByLabel('E-mail or user name').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(goodPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.href.startsWith(callback.url));
    expect(await page.locator('#token').textContent()).toMatch(/^ey/);
  });

  it('leads on from a confirmation without a client, and from an e-mail change, to the account page', async () => {
    const email = 'no-client@example.com';
    await server.request('POST', '/api/auth/register', { json: { email, password: goodPassword } });
    const mail = await server.smtp.waitFor((m) => m.to.includes(email) && m.subject.includes('Confirm'));
    await fresh();
    await page.goto(server.smtp.linkIn(mail, '/auth/confirm/'));
    expect(await page.locator('h1').textContent()).toBe('E-mail confirmed');
    await page.getByRole('link', { name: 'Go to your account' }).click();
    await page.waitForURL((url) => url.pathname === '/account');

    const login = (await server.request('POST', '/api/auth/login', { json: { email, password: goodPassword } })).body;
    const since = server.smtp.messages.length;
    expect((await server.request('POST', '/auth/change-email', { token: login.accessToken, json: { email: 'no-client-2@example.com' } })).status).toBe(202);
    const change = await server.smtp.waitFor((m) => server.smtp.messages.indexOf(m) >= since && m.to.includes('no-client-2@example.com'));
    await page.goto(server.smtp.linkIn(change, '/auth/change-email/'));
    expect(await page.locator('h1').textContent()).toBe('E-mail address changed');
    expect(await page.getByRole('link', { name: 'Go to your account' }).getAttribute('href')).toBe('/account');
  });
});
