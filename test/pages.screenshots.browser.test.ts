/// <reference lib="dom" />
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { launchChromium } from './helpers/chromium.js';
import { mailTo } from './helpers/mail-links.js';
import { enrolTotp, type EnrolledUser } from './helpers/mfa.js';
import { openVariant, takeShot, VARIANTS, type Variant } from './helpers/screenshots.js';
import { goodPassword, registerAndLogin, startServer, type TestServer } from './helpers/server.js';

/*
 * Every hosted page in three looks — light, a 375 px phone and German — as the README shows them (docs/screenshots/,
 * issue 16 item 8; how they are taken and checked: test/helpers/screenshots.ts). The multi-factor pages beyond the
 * second step and the set-up page: test/pages.screenshots.mfa.browser.test.ts.
 */

describe('screenshots of every hosted page (Debian chromium)', () => {
  let server: TestServer;
  let chromium: Browser;
  let context: BrowserContext;
  let page: Page;
  let totpUser: EnrolledUser;

  beforeAll(async () => {
    // A fixed moment, so the account page's times are the same in every picture.
    server = await startServer('sqlite', {
      clock: new ManualClock(Date.UTC(2026, 11, 6, 9, 30)),
      config: { clients: [{ clientID: 'demo', name: 'Demo App', callbackURL: 'http://127.0.0.1:9/cb' }] },
    });
    await registerAndLogin(server, 'sam@example.com');
    totpUser = await enrolTotp(server, 'sam-mfa');
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await context?.close();
    await chromium?.close();
    await server?.close();
  });

  /** A link the server mails, for pages behind one (they are single use, so each picture asks anew). */
  const mailedLink = async (ask: () => Promise<unknown>, to: string, subject: string, path: string) => {
    const since = server.smtp.messages.length;
    await ask();
    return server.smtp.linkIn(await mailTo(server, to, subject, since), path);
  };
  const signIn = async (login: string, password: string) => {
    await page.goto(`${server.url}/account`);
    await page.locator('#login').fill(login);
    await page.locator('#password').fill(password);
    await page.locator('#password').press('Enter');
    await page.locator('#sessions').waitFor();
  };

  /** Each page and how to reach it; the variant names the accounts, so pages of one look do not share sessions. */
  const PAGES: Array<[name: string, open: (variant: Variant) => Promise<unknown>]> = [
    ['login', () => page.goto(`${server.url}/auth/login?clientID=demo`)],
    ['login-error', async () => {
      await page.goto(`${server.url}/auth/login?clientID=demo`);
      await page.locator('#email').fill('sam@example.com');
      await page.locator('#password').fill('not-the-password');
      await page.locator('#password').press('Enter');
      await page.getByRole('alert').waitFor();
    }],
    ['second-step', async () => {
      await page.goto(`${server.url}/auth/login?clientID=demo`);
      await page.locator('#email').fill(totpUser.email);
      await page.locator('#password').fill(goodPassword);
      await page.locator('#password').press('Enter');
      await page.locator('#totp-code').waitFor();
    }],
    ['register', () => page.goto(`${server.url}/auth/register?clientID=demo`)],
    ['register-error', async () => {
      await page.goto(`${server.url}/auth/register?clientID=demo`);
      await page.locator('#email').fill('new@example.com');
      await page.locator('#password').fill('weak');
      await page.locator('#password').press('Enter');
      await page.locator('#password-error').waitFor();
    }],
    ['forgot-password', () => page.goto(`${server.url}/auth/password-reset?clientID=demo`)],
    ['check-email', () => page.goto(`${server.url}/auth/password-reset?clientID=demo&email=sam%40example.com`)],
    ['reset-password', async () => page.goto(await mailedLink(
      () => server.request('POST', '/api/auth/forgot-password', { json: { email: 'sam@example.com' } }), 'sam@example.com', 'Reset', '/auth/password-reset/',
    ))],
    ['email-confirmed', async (variant) => {
      const email = `confirm-${variant.name}@example.com`;
      await page.goto(await mailedLink(
        () => server.request('POST', '/api/auth/register', { json: { email, password: goodPassword } }), email, 'Confirm', '/auth/confirm/',
      ));
    }],
    ['account-sign-in', () => page.goto(`${server.url}/account`)],
    ['account', async (variant) => {
      const email = `account-${variant.name}@example.com`;
      await registerAndLogin(server, email);
      await signIn(email, goodPassword);
    }],
    ['security-setup', async (variant) => {
      const email = `setup-${variant.name}@example.com`;
      await registerAndLogin(server, email);
      await signIn(email, goodPassword);
      await page.locator('form[action="/account/mfa/totp"] button').click();
      await page.locator('figure.qr svg').waitFor();
    }],
    ['error', () => page.goto(`${server.url}/auth/login`)],
  ];

  describe.each(VARIANTS)('$name', (variant) => {
    it.each(PAGES)('%s', async (name, open) => {
      await context?.close();
      const shot = await openVariant(chromium, variant);
      ({ context, page } = shot);
      await open(variant);
      await takeShot(shot, variant, name);
    });
  });
});
