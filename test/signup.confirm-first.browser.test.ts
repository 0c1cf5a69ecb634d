/// <reference lib="dom" />
import type { Server } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCallbackApp } from './helpers/callback-app.js';
import { launchChromium, screenshot } from './helpers/chromium.js';
import { goodPassword, startServer, type TestServer } from './helpers/server.js';

/** `signup.tokenBeforeConfirmation: false` end to end in Debian's chromium: the confirmation link delivers the token. */
describe('signup.tokenBeforeConfirmation: false (Debian chromium)', () => {
  let server: TestServer;
  let chromium: Browser;
  let callback: { server: Server; url: string };
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    callback = await startCallbackApp();
    server = await startServer('sqlite', {
      config: {
        signup: { tokenBeforeConfirmation: false },
        clients: [
          { clientID: 'web', callbackURL: callback.url, config: { tokenMethod: 'query' } },
          { clientID: 'json-only', callbackURL: 'https://api.example/cb', config: { tokenMethod: 'body' } },
        ],
      },
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
  const confirmationTo = (email: string) => server.smtp.waitFor((m) => m.to.includes(email) && m.subject.includes('Confirm'));

  it('registers to "check your e-mail"; the e-mailed link lands the browser on the client with a working token', async () => {
    const email = 'confirm-first@example.com';
    await fresh();
    await page.goto(`${server.url}/auth/register?clientID=web`);
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill(goodPassword);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('status').waitFor();
    expect(await page.locator('h1').textContent()).toBe('Check your e-mail');
    expect(await page.getByRole('status').textContent()).toContain(`We sent a confirmation link to ${email}.`);
    expect(page.url().startsWith(callback.url)).toBe(false);
    await screenshot(page, 'auth-register-check-email');
    // No token yet, and no login either.
    const early = await server.request('POST', '/api/auth/login', { json: { email, password: goodPassword } });
    expect(early.body.code).toBe('account-not-confirmed');

    const link = server.smtp.linkIn(await confirmationTo(email), '/auth/confirm/');
    await fresh();
    await page.goto(link);
    await page.waitForURL((url) => url.href.startsWith(callback.url));
    const token = (await page.locator('#token').textContent())!;
    const account = await server.request('GET', '/api/auth/account', { token });
    expect(account.status, account.text).toBe(200);
    expect(account.body).toMatchObject({ email, confirmed: true });

    // The link works once: followed again, it says so.
    const again = await page.goto(link);
    expect(again!.status()).toBe(400);
    expect(await page.locator('h1').textContent()).toBe('Confirmation failed');
  });

  it('speaks German on the "check your e-mail" page', async () => {
    await fresh('de-DE');
    await page.goto(`${server.url}/auth/register?clientID=web`);
    await page.getByLabel('E-Mail').fill('zuerst-bestaetigen@example.com');
    await page.getByLabel('Passwort').fill(goodPassword);
    await page.getByRole('button', { name: 'Konto erstellen' }).click();
    await page.getByRole('status').waitFor();
    expect(await page.locator('h1').textContent()).toBe('Prüfen Sie Ihre E-Mails');
    expect(await page.getByRole('status').textContent()).toContain('Wir haben einen Bestätigungslink an zuerst-bestaetigen@example.com geschickt.');
  });

  it('answers a JSON registration 202 without a token; a body-only client\'s link shows the confirmed page instead', async () => {
    const email = 'json-first@example.com';
    const answer = await server.request('POST', '/auth/register?clientID=json-only', { json: { email, password: goodPassword } });
    expect(answer.status, answer.text).toBe(202);
    expect(Object.keys(answer.body)).toEqual(['accountID']);
    const confirmed = await fetch(server.smtp.linkIn(await confirmationTo(email), '/auth/confirm/'), { redirect: 'manual' });
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('<a id="onward" href="https://api.example/cb">');
    expect((await server.request('POST', '/api/auth/login', { json: { email, password: goodPassword } })).status).toBe(200);
  });

  it('keeps the default for other registrations: an API registration\'s link only confirms', async () => {
    const email = 'api-first@example.com';
    expect((await server.request('POST', '/api/auth/register', { json: { email, password: goodPassword } })).status).toBe(201);
    const confirmed = await fetch(server.smtp.linkIn(await confirmationTo(email), '/auth/confirm/'), { redirect: 'manual' });
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('<a id="onward" href="/account">');
  });
});
