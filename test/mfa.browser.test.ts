/// <reference lib="dom" />
import type { Server } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCallbackApp } from './helpers/callback-app.js';
import { launchChromium, screenshot } from './helpers/chromium.js';
import { claimsOf, enrolTotp, oathtool, STEP, type EnrolledUser } from './helpers/mfa.js';
import { dialects, goodPassword, sqliteOnly, startServer, type TestServer } from './helpers/server.js';

let chromium: Browser;
beforeAll(async () => {
  chromium = await launchChromium();
});
afterAll(async () => chromium?.close());

/**
 * The hosted login's second page in Debian's Chromium, with codes from oathtool (CONTRACT §5). The code page itself
 * runs on SQLite and PostgreSQL; recovery codes and the German page on SQLite (sqliteOnly).
 */
describe.each(dialects)('the hosted login asks for the second factor in a real browser on %s (Debian chromium)', (dialect) => {
  let server: TestServer;
  let callback: { server: Server; url: string };
  let context: BrowserContext;
  let page: Page;
  let user: EnrolledUser;

  beforeAll(async () => {
    callback = await startCallbackApp();
    server = await startServer(dialect, { config: { clients: [{ clientID: 'web', callbackURL: callback.url, config: { tokenMethod: 'query' } }] } });
    user = await enrolTotp(server, 'browser');
  });
  afterAll(async () => {
    await context?.close();
    await server?.close();
    callback?.server.close();
  });

  const passwordPage = async (locale = 'en-US') => {
    await context?.close();
    context = await chromium.newContext({ locale });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${server.url}/auth/login?clientID=web`);
    await page.locator('#email').fill(user.email);
    await page.locator('#password').fill(goodPassword);
    await page.locator('#password').press('Enter');
    await page.locator('#totp-code').waitFor();
  };

  it('password, then the code page (one-time-code field); a wrong code shows it again, oathtool\'s code lands on the client with an mfa token', async () => {
    await passwordPage();
    expect(await page.locator('h1').textContent()).toBe('Second step');
    expect(await page.locator('#totp-code').getAttribute('autocomplete')).toBe('one-time-code');
    expect(page.url()).toBe(`${server.url}/auth/login?clientID=web`);
    await screenshot(page, 'auth-login-mfa');
    await page.locator('#totp-code').fill('000000');
    await page.locator('#totp-code').press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('That code is wrong or was already used.');
    server.clock.advance(STEP);
    await page.locator('#totp-code').fill(oathtool(user.secret, server.clock.now()));
    await page.locator('#totp-code').press('Enter');
    await page.waitForURL((url) => url.href.startsWith(callback.url));
    const token = (await page.locator('#token').textContent())!;
    expect(claimsOf(token).amr).toEqual(['pwd', 'otp', 'mfa']);
    expect((await server.request('GET', '/auth/user', { token })).body.id).toBe(user.userId);
  });

  sqliteOnly(dialect)('"use a recovery code" finishes the login too, once', async () => {
    await passwordPage();
    await page.getByText('Use a recovery code instead').click();
    await page.locator('#recovery-code').fill(user.recoveryCodes[0]!.toLowerCase());
    await page.locator('#recovery-code').press('Enter');
    await page.waitForURL((url) => url.href.startsWith(callback.url));
    expect((await page.locator('#token').textContent())!.length).toBeGreaterThan(20);
    await passwordPage();
    await page.getByText('Use a recovery code instead').click();
    await page.locator('#recovery-code').fill(user.recoveryCodes[0]!);
    await page.locator('#recovery-code').press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('That code is wrong or was already used.');
  });

  sqliteOnly(dialect)('speaks German, and a forged post of the second form (no form token) is refused', async () => {
    await passwordPage('de-DE');
    expect(await page.locator('h1').textContent()).toBe('Zweiter Schritt');
    await screenshot(page, 'auth-login-mfa-de');
    // The page's own form token removed: what a foreign page's post would lack.
    await page.evaluate(() => document.querySelectorAll('input[name="form_token"]').forEach((input) => input.remove()));
    server.clock.advance(STEP);
    await page.locator('#totp-code').fill(oathtool(user.secret, server.clock.now()));
    const answer = page.waitForResponse((response) => response.request().method() === 'POST');
    await page.locator('#totp-code').press('Enter');
    expect((await answer).status()).toBe(403);
    expect(page.url().startsWith(callback.url)).toBe(false);
  });
});
