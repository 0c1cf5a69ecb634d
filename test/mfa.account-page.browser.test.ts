/// <reference lib="dom" />
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from './helpers/chromium.js';
import { oathtool, STEP, uniqueEmail } from './helpers/mfa.js';
import { dialects, goodPassword, registerAndLogin, sqliteOnly, startServer, type TestServer } from './helpers/server.js';

let chromium: Browser;
beforeAll(async () => {
  chromium = await launchChromium();
});
afterAll(async () => chromium?.close());

/**
 * The account page's security section and its sign-in's second step, in Debian's Chromium with oathtool's codes:
 * setting TOTP up and signing in with it on SQLite and PostgreSQL, turning it off on SQLite (sqliteOnly).
 */
describe.each(dialects)('the account page sets up an authenticator app and asks for it at sign-in on %s (Debian chromium)', (dialect) => {
  let server: TestServer;
  let context: BrowserContext;
  let page: Page;
  const email = uniqueEmail('account-page');
  /** The secret the first test sets up; the later ones sign in with it (the tests run in order, one browser). */
  let setUpSecret = '';

  beforeAll(async () => {
    server = await startServer(dialect);
    await registerAndLogin(server, email);
    context = await chromium.newContext({ locale: 'en-US' });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
  });
  afterAll(async () => {
    await context?.close();
    await server?.close();
  });

  const signIn = async () => {
    await page.goto(`${server.url}/account`);
    await page.locator('#login').fill(email);
    await page.locator('#password').fill(goodPassword);
    await page.locator('#password').press('Enter');
  };

  it('sets up TOTP from the QR page with oathtool\'s code, shows ten recovery codes once, and the section says it is on', async () => {
    await signIn();
    await page.getByRole('heading', { name: 'Two-step sign-in' }).waitFor();
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    await page.locator('figure.qr svg').waitFor();
    await screenshot(page, 'account-mfa-setup');
    const secret = (await page.locator('#totp-secret').textContent())!;
    await page.locator('#setup-code').fill('000000');
    await page.locator('#setup-code').press('Enter');
    await expect.poll(() => page.locator('#setup-code-error').textContent()).toContain('That code is wrong');
    // The same secret is shown again, not a new one.
    expect(await page.locator('#totp-secret').textContent()).toBe(secret);
    await page.locator('#setup-code').fill(oathtool(secret, server.clock.now()));
    await page.locator('#setup-code').press('Enter');
    await page.locator('#recovery-codes').waitFor();
    expect(await page.locator('#recovery-codes li').count()).toBe(10);
    await page.getByRole('link', { name: 'Back to your account' }).click();
    await expect.poll(() => page.locator('#security').locator('..').textContent()).toContain('An authenticator app is set up.');
    expect(await page.locator('#security').locator('..').textContent()).toContain('Recovery codes left: 10');
    setUpSecret = secret;
  });

  it('signing in again asks for the code on a second page; oathtool\'s code opens the account page', async () => {
    const secret = setUpSecret;
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await signIn();
    await page.locator('#totp-code').waitFor();
    expect(await page.locator('#totp-code').getAttribute('autocomplete')).toBe('one-time-code');
    server.clock.advance(STEP);
    await page.locator('#totp-code').fill(oathtool(secret, server.clock.now()));
    await page.locator('#totp-code').press('Enter');
    await page.getByRole('heading', { name: 'Two-step sign-in' }).waitFor();
    await screenshot(page, 'account-mfa-on');
  });

  sqliteOnly(dialect)('turning it off needs the password: a wrong one is refused, the right one turns it off', async () => {
    await page.locator('#turn-off-password').fill('not-the-password');
    await page.getByRole('button', { name: 'Turn off the authenticator app' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('The password or code is wrong.');
    await page.getByRole('link', { name: 'Back to your account' }).click();
    await page.locator('#turn-off-password').fill(goodPassword);
    await page.getByRole('button', { name: 'Turn off the authenticator app' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('The authenticator app was turned off.');
    expect((await server.request('POST', '/api/auth/login', { json: { email, password: goodPassword } })).status).toBe(200);
  });
});
