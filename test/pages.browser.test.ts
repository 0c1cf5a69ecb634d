/// <reference lib="dom" />
import type { Server } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCallbackApp } from './helpers/callback-app.js';
import { launchChromium, screenshot } from './helpers/chromium.js';
import { goodPassword, registerAndLogin, startServer, type TestServer } from './helpers/server.js';


/**
 * Posts a same-origin form the page did not render: the way a forger's page would post, since the pages' CSP
 * forbids scripts from fetching. `fields` omit or fake the form token.
 */
async function submitForgedForm(page: Page, action: string, fields: Record<string, string>): Promise<number> {
  const answer = page.waitForResponse((response) => response.request().method() === 'POST' && new URL(response.url()).pathname === new URL(action, 'http://x').pathname);
  const loaded = page.waitForEvent('load');
  await page.evaluate(({ action, fields }) => {
    const form = document.createElement('form');
    form.method = 'post';
    form.action = action;
    for (const [name, value] of Object.entries(fields)) {
      const input = document.createElement('input');
      input.type = 'hidden';
      input.name = name;
      input.value = value;
      form.append(input);
    }
    document.body.append(form);
    form.submit();
  }, { action, fields });
  const status = (await answer).status();
  await loaded;
  return status;
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
  const activeId = () => page.evaluate(() => document.activeElement?.id ?? '');

  it('logs in through /auth/login?clientID= with the keyboard alone and lands on the client with a working token', async () => {
    await fresh();
    await page.goto(`${server.url}/auth/login?clientID=web`);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await screenshot(page, 'auth-login');
    // Tab order: the e-mail field, the password field, the button; focus is visible.
    await page.keyboard.press('Tab');
    expect(await activeId()).toBe('email');
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe('solid');
    await page.keyboard.type('pat@example.com');
    await page.keyboard.press('Tab');
    expect(await activeId()).toBe('password');
    await page.keyboard.type(goodPassword);
    // Enter in the password field submits the form.
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.href.startsWith(callback.url));
    const token = await page.locator('#token').textContent();
    expect((await server.request('GET', '/auth/user', { token: token! })).body.user).toBe('pat@example.com');
  });

  it('shows a wrong password on the login page itself, keeping the e-mail', async () => {
    await fresh();
    await page.goto(`${server.url}/auth/login?clientID=web`);
    await page.getByLabel('E-mail or user name').fill('pat@example.com');
    await page.getByLabel('Password', { exact: true }).fill('not-my-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Wrong e-mail or password.');
    expect(await page.getByLabel('E-mail or user name').inputValue()).toBe('pat@example.com');
    expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('');
    await screenshot(page, 'auth-login-error');
  });

  it('speaks German on the login page to a German browser', async () => {
    await fresh('de-DE');
    await page.goto(`${server.url}/auth/login?clientID=web`);
    expect(await page.locator('html').getAttribute('lang')).toBe('de');
    expect(await page.locator('h1').textContent()).toBe('Anmelden');
    await screenshot(page, 'auth-login-de');
    await page.getByLabel('E-Mail oder Benutzername').fill('pat@example.com');
    await page.getByLabel('Passwort', { exact: true }).fill('falsch');
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('E-Mail oder Passwort ist falsch.');
  });

  it('registers through /auth/register?clientID=: policy errors next to the password, then the client gets a token; the e-mailed link confirms', async () => {
    await fresh();
    await page.goto(`${server.url}/auth/register?clientID=web`);
    expect(await page.locator('h1').textContent()).toBe('Create an account');
    await screenshot(page, 'auth-register');
    await page.getByLabel('E-mail').fill('newbie@example.com');
    await page.getByLabel('Password').fill('weak');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.locator('#password-error').waitFor();
    const password = page.getByLabel('Password');
    expect(await page.locator('#password-error').textContent()).toContain('The password must be at least 10 characters.');
    expect(await password.getAttribute('aria-invalid')).toBe('true');
    expect(await password.getAttribute('aria-describedby')).toContain('password-error');
    // The first invalid field has the focus, what was typed is back (never the password).
    expect(await activeId()).toBe('password');
    expect(await page.getByLabel('E-mail').inputValue()).toBe('newbie@example.com');
    expect(await password.inputValue()).toBe('');
    await screenshot(page, 'auth-register-error');

    await password.fill('Newbie-Pass-2024');
    await password.press('Enter');
    await page.waitForURL((url) => url.href.startsWith(callback.url));
    const token = (await page.locator('#token').textContent())!;
    expect((await server.request('GET', '/api/auth/account', { token })).body).toMatchObject({ email: 'newbie@example.com', confirmed: false });

    const mail = await server.smtp.waitFor((m) => m.to.includes('newbie@example.com') && m.subject.includes('Confirm'));
    await page.goto(server.smtp.linkIn(mail, '/auth/confirm/'));
    expect(await page.locator('h1').textContent()).toBe('E-mail confirmed');
    expect(await page.getByRole('status').textContent()).toContain('Your e-mail address is confirmed');
    await screenshot(page, 'auth-confirm');
    expect((await server.request('GET', '/api/auth/account', { token })).body.confirmed).toBe(true);
  });

  it('speaks German on the registration page, policy errors included', async () => {
    await fresh('de-DE');
    await page.goto(`${server.url}/auth/register?clientID=web`);
    expect(await page.locator('html').getAttribute('lang')).toBe('de');
    expect(await page.locator('h1').textContent()).toBe('Konto erstellen');
    await screenshot(page, 'auth-register-de');
    await page.getByLabel('E-Mail').fill('neu@example.com');
    await page.getByLabel('Passwort').fill('kurz');
    await page.getByRole('button', { name: 'Konto erstellen' }).click();
    await page.locator('#password-error').waitFor();
    expect(await page.locator('#password-error').textContent()).toContain('Das Passwort muss mindestens 10 Zeichen lang sein.');
    await screenshot(page, 'auth-register-error-de');
  });

  it('asks for a reset from the login page, shows "check your e-mail", and the e-mailed link sets a new password', async () => {
    await registerAndLogin(server, 'forgetful@example.com');
    await fresh();
    await page.goto(`${server.url}/auth/login?clientID=web`);
    await page.getByLabel('Your e-mail address').fill('forgetful@example.com');
    await page.getByRole('button', { name: 'Send me a reset link' }).click();
    await page.waitForURL((url) => url.pathname === '/auth/password-reset');
    expect(await page.locator('h1').textContent()).toBe('Check your e-mail');
    expect(await page.getByRole('status').textContent()).toContain('forgetful@example.com');
    await screenshot(page, 'auth-check-email');

    const mail = await server.smtp.waitFor((m) => m.to.includes('forgetful@example.com') && /reset/i.test(m.subject));
    await page.goto(server.smtp.linkIn(mail, '/auth/password-reset/'));
    expect(await page.locator('h1').textContent()).toBe('Choose a new password');
    await screenshot(page, 'auth-password-reset');
    await page.getByLabel('New password', { exact: true }).fill('Reset-In-Browser-7');
    await page.getByLabel('Repeat the new password').fill('Reset-In-Browser-8');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.locator('#passwordRepeat-error').waitFor();
    expect(await page.locator('#passwordRepeat-error').textContent()).toBe('The two passwords differ.');
    expect(await activeId()).toBe('passwordRepeat');

    await page.getByLabel('New password', { exact: true }).fill('Reset-In-Browser-7');
    await page.getByLabel('Repeat the new password').fill('Reset-In-Browser-7');
    await page.getByLabel('Repeat the new password').press('Enter');
    await page.getByText('Your password was changed').waitFor();
    expect(await page.locator('h1').textContent()).toBe('Password changed');
    await screenshot(page, 'auth-password-reset-done');
    expect((await server.request('POST', '/api/auth/login', { json: { email: 'forgetful@example.com', password: 'Reset-In-Browser-7' } })).status).toBe(200);
  });

  it('changes the e-mail address: the new address\'s link makes the change, the old address\'s link undoes it', async () => {
    const user = await registerAndLogin(server, 'mover@example.com');
    const since = server.smtp.messages.length;
    const asked = await server.request('POST', '/auth/change-email', { token: user.accessToken, json: { email: 'moved@example.com' } });
    expect(asked.status, asked.text).toBe(202);
    const after = (to: string, subject: string) => server.smtp.waitFor((m) => server.smtp.messages.indexOf(m) >= since && m.to.includes(to) && m.subject.includes(subject));
    const change = server.smtp.linkIn(await after('moved@example.com', 'Confirm your new'), '/auth/change-email/');
    const revert = server.smtp.linkIn(await after('mover@example.com', 'is being changed'), '/auth/change-email/');

    await fresh();
    await page.goto(change);
    expect(await page.locator('h1').textContent()).toBe('E-mail address changed');
    expect(await page.getByRole('status').textContent()).toBe('Your e-mail address is now moved@example.com.');
    await screenshot(page, 'auth-change-email-done');
    expect((await server.request('GET', '/api/auth/account', { token: user.accessToken })).body.email).toBe('moved@example.com');

    await page.goto(revert);
    expect(await page.locator('h1').textContent()).toBe('E-mail change undone');
    expect(await page.getByRole('status').textContent()).toContain('your e-mail address is mover@example.com again');
    await screenshot(page, 'auth-change-email-reverted');
    expect((await server.request('GET', '/api/auth/account', { token: user.accessToken })).status).toBe(401);
  });

  it('refuses forged login, registration and reset form posts: no form token, or a wrong one', async () => {
    await fresh();
    // The pages set the form cookie; the forged posts come from the same origin, so the browser sends it along.
    await page.goto(`${server.url}/auth/login?clientID=web`);
    expect((await context.cookies()).find((c) => c.name === '__Host-gh_form')).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    const login = { email: 'pat@example.com', password: goodPassword };
    // Our pages' Referrer-Policy: no-referrer makes Chromium send `Origin: null` from them: foreign by the login-CSRF
    // rule, so even our own pages' posts rest on the form token.
    const origin = page.waitForRequest((request) => request.method() === 'POST').then((request) => request.headerValue('origin'));
    expect(await submitForgedForm(page, '/auth/login?clientID=web', login)).toBe(403);
    expect(await origin).toBe('null');
    expect(await page.getByRole('alert').textContent()).toContain('This form expired. Please try again.');
    await page.goto(`${server.url}/auth/login?clientID=web`);
    expect(await submitForgedForm(page, '/auth/login?clientID=web', { ...login, form_token: 'forged' })).toBe(403);
    expect(page.url().startsWith(callback.url)).toBe(false);

    await page.goto(`${server.url}/auth/register?clientID=web`);
    expect(await submitForgedForm(page, '/auth/register?clientID=web', { email: 'forged@example.com', password: goodPassword, form_token: 'forged' })).toBe(403);
    expect((await server.request('GET', '/auth/email-available?email=forged@example.com')).body.available).toBe(true);

    // The refusal page carries a fresh token, so a person whose form merely expired can send it again.
    await page.getByLabel('E-mail').fill('retried@example.com');
    await page.getByLabel('Password').fill(goodPassword);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL((url) => url.href.startsWith(callback.url));

    await server.request('POST', '/api/auth/forgot-password', { json: { email: 'pat@example.com' } });
    const mail = await server.smtp.waitFor((m) => m.to.includes('pat@example.com') && /reset/i.test(m.subject));
    const link = server.smtp.linkIn(mail, '/auth/password-reset/');
    await page.goto(link);
    expect(await submitForgedForm(page, new URL(link).pathname, { password: 'Forged-Pass-123', passwordRepeat: 'Forged-Pass-123' })).toBe(403);
    expect((await server.request('POST', '/api/auth/login', { json: { email: 'pat@example.com', password: 'Forged-Pass-123' } })).status).toBe(401);
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

  it('speaks German on /account to a German browser', async () => {
    await fresh('de-DE');
    await page.goto(`${server.url}/account`);
    expect(await page.locator('html').getAttribute('lang')).toBe('de');
    await page.getByLabel('E-Mail oder Benutzername').fill('pat@example.com');
    await page.getByLabel('Passwort').fill('Browser-New-Pass-1');
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.getByRole('heading', { name: 'Profil' }).waitFor();
    await screenshot(page, 'account-de');
    expect(await page.getByRole('heading', { name: 'Passwort ändern' }).count()).toBe(1);
    await page.getByLabel('Aktuelles Passwort').fill('Browser-New-Pass-1');
    await page.getByLabel('Neues Passwort', { exact: true }).fill('kurz');
    await page.getByLabel('Neues Passwort wiederholen').fill('kurz');
    await page.getByRole('button', { name: 'Passwort ändern' }).click();
    await page.locator('#password-error').waitFor();
    expect(await page.locator('#password-error').textContent()).toContain('Das Passwort muss mindestens 10 Zeichen lang sein.');
  });

  it('refuses account-page forms without their token, even from the same origin', async () => {
    await fresh();
    await page.goto(`${server.url}/account`);
    // Signing in is an anonymous form too: without the page's form token it is refused.
    expect(await submitForgedForm(page, '/account/login', { login: 'pat@example.com', password: 'Browser-New-Pass-1' })).toBe(403);
    await page.getByLabel('E-mail or user name').fill('pat@example.com');
    await page.getByLabel('Password').fill('Browser-New-Pass-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    expect(await submitForgedForm(page, '/account/logout', { csrf: 'forged' })).toBe(403);
  });
});
