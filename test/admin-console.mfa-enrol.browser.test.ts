/// <reference lib="dom" />
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, startConsoleServer, type ConsoleCast } from './helpers/admin-console.js';
import { oathtool, STEP } from './helpers/mfa.js';
import { freePort } from './helpers/ports.js';
import { goodPassword, registerAndLogin } from './helpers/server.js';
import { pageWithAuthenticator } from './helpers/webauthn-browser.js';

/*
 * `mfa.requiredFor` on the console's own sign-in (issue 19), in Debian's Chromium: an administrator the list covers
 * who has no second factor sets one up inside the sign-in — an authenticator app (oathtool's first code) or a passkey
 * (Chromium's virtual authenticator) — and "Continue signing in" lands on the console, not on the account page.
 */
describe('admin console: an administrator who must use a second factor sets one up inside the console sign-in (Debian chromium)', () => {
  let cast: ConsoleCast;
  let base: string;
  let chromium: Browser;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    // localhost, not 127.0.0.1: a passkey's relying party is a host name (mfa.webauthn.rpId defaults to baseUrl's host).
    const port = await freePort();
    base = `http://localhost:${port}`;
    cast = await startConsoleServer('sqlite', { port, config: { server: { baseUrl: base }, mfa: { requiredFor: ['admin'] } } }, 'enrol');
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await context?.close();
    await chromium?.close();
    await cast?.server.close();
  });

  /** A fresh browser whose page has a virtual authenticator, the console's sign-in filled with `login`'s password. */
  const signInAs = async (login: string): Promise<Page> => {
    await context?.close();
    context = await chromium.newContext({ locale: 'en-US' });
    const { page } = await pageWithAuthenticator(context);
    page.setDefaultTimeout(10_000);
    await page.goto(`${base}/admin/sign-in`);
    await page.locator('#login').fill(login);
    await page.locator('#password').fill(goodPassword);
    await page.locator('#password').press('Enter');
    await page.getByText('This account must set up a second factor').waitFor();
    expect(new URL(page.url()).pathname).toBe('/admin/sign-in');
    return page;
  };
  /** A new administrator (the `admin` role, which mfa.requiredFor names) without a factor. */
  const newAdministrator = async (name: string) => {
    const email = `${name}@example.com`;
    // Registered, confirmed and signed in once before joining `admin`, as the cast's own administrator is.
    const { userId } = await registerAndLogin(cast.server, email);
    expect((await cast.server.request('PUT', `/groups/admin/accounts/${userId}`, { token: cast.sysToken })).status).toBe(204);
    return email;
  };
  const expectOnConsole = async (page: Page, email: string) => {
    await page.waitForURL(`${base}/admin`);
    expect(await page.locator('main').textContent()).toContain(`Signed in as ${email}`);
  };

  it('with an authenticator app: QR, oathtool\'s first code, the codes once, continue — on /admin; next time it asks for a code', async () => {
    const email = await newAdministrator('app-admin');
    const page = await signInAs(email);
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    await page.locator('figure.qr svg').waitFor();
    const secret = (await page.locator('#totp-secret').textContent())!;
    await page.locator('#setup-code').fill(oathtool(secret, cast.server.clock.now()));
    await page.locator('#setup-code').press('Enter');
    await page.locator('#recovery-codes').waitFor();
    expect(await page.locator('#recovery-codes li').count()).toBe(10);
    await page.getByRole('button', { name: 'Continue signing in' }).click();
    await expectOnConsole(page, email);
    // The factor holds: the next console sign-in asks for its code, and lands on the console again.
    await context!.clearCookies();
    await page.goto(`${base}/admin/sign-in`);
    await page.locator('#login').fill(email);
    await page.locator('#password').fill(goodPassword);
    await page.locator('#password').press('Enter');
    await page.locator('#totp-code').waitFor();
    cast.server.clock.advance(STEP);
    await page.locator('#totp-code').fill(oathtool(secret, cast.server.clock.now()));
    await page.locator('#totp-code').press('Enter');
    await expectOnConsole(page, email);
  });

  it('with a passkey: "Add a passkey", the codes once, continue — on /admin', async () => {
    const email = await newAdministrator('key-admin');
    const page = await signInAs(email);
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.locator('#recovery-codes').waitFor();
    await page.getByRole('button', { name: 'Continue signing in' }).click();
    await expectOnConsole(page, email);
  });

  it('the account page\'s own sign-in still continues to /account', async () => {
    const email = await newAdministrator('page-admin');
    await context?.close();
    context = await chromium.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${base}/account`);
    await page.locator('#login').fill(email);
    await page.locator('#password').fill(goodPassword);
    await page.locator('#password').press('Enter');
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const secret = (await page.locator('#totp-secret').textContent())!;
    await page.locator('#setup-code').fill(oathtool(secret, cast.server.clock.now()));
    await page.locator('#setup-code').press('Enter');
    await page.getByRole('button', { name: 'Continue signing in' }).click();
    await page.waitForURL(`${base}/account`);
  });
});
