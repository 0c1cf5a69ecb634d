/// <reference lib="dom" />
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { launchChromium } from './helpers/chromium.js';
import { oathtool, STEP } from './helpers/mfa.js';
import { openVariant, takeShot, VARIANTS, type ShotPage, type Variant } from './helpers/screenshots.js';
import { goodPassword, registerAndLogin, startServer, type TestServer } from './helpers/server.js';
import { passkeyLogin, registerPasskey, softPasskey } from './helpers/webauthn.js';

/*
 * The multi-factor pages in the three looks of test/helpers/screenshots.ts, as docs/mfa.md and the README show them:
 * the second step of an account with an authenticator app and a passkey, the account page's "Two-step sign-in"
 * section with both, the recovery codes shown once, and the page of an account that must set up a factor first
 * (`mfa.requiredFor: [sysadmin]`, the bootstrapped administrator). The second step with an app alone and the QR page are in
 * test/pages.screenshots.browser.test.ts (second-step, security-setup). Accounts, names and the clock are fixed, so
 * a picture changes only when its page does (the recovery codes excepted: they are random).
 */

const ADMIN_PASSWORD = 'Admin-Password-42';

describe('screenshots of the multi-factor pages (Debian chromium)', () => {
  let server: TestServer;
  let chromium: Browser;
  let context: BrowserContext | undefined;
  let page: Page;
  /** The authenticator-app secret of each variant's account with both factors (`mia-<variant>@example.com`). */
  const secrets = new Map<string, string>();

  beforeAll(async () => {
    server = await startServer('sqlite', {
      clock: new ManualClock(Date.UTC(2026, 11, 6, 9, 30)),
      env: { GATEHOUSE_ADMIN_PASSWORD: ADMIN_PASSWORD },
      config: { mfa: { requiredFor: ['sysadmin'] }, clients: [{ clientID: 'demo', name: 'Demo App', callbackURL: 'http://127.0.0.1:9/cb' }] },
    });
    for (const variant of VARIANTS) secrets.set(variant.name, await accountWithBothFactors(`mia-${variant.name}@example.com`));
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await context?.close();
    await chromium?.close();
    await server?.close();
  });

  /** An account with an authenticator app (set up with oathtool's code) and a passkey "Laptop" used once; its secret. */
  async function accountWithBothFactors(email: string): Promise<string> {
    const { accessToken } = await registerAndLogin(server, email);
    const setup = await server.request('POST', '/api/auth/mfa/totp', { token: accessToken });
    const confirmed = await server.request('POST', '/api/auth/mfa/totp/confirm', { token: accessToken, json: { code: oathtool(setup.body.secret, server.clock.now()) } });
    expect(confirmed.status, confirmed.text).toBe(200);
    const passkey = softPasskey(server);
    await registerPasskey(server, accessToken, passkey, 'Laptop');
    server.clock.advance(STEP);
    expect((await passkeyLogin(server, passkey)).status).toBe(200);
    return setup.body.secret;
  }

  /** The first step of a client's hosted login. */
  const hostedPassword = async (login: string, password: string) => {
    await page.goto(`${server.url}/auth/login?clientID=demo`);
    await page.locator('#email').fill(login);
    await page.locator('#password').fill(password);
    await page.locator('#password').press('Enter');
  };
  /** The account page's sign-in, up to the page after the password. */
  const accountPassword = async (login: string) => {
    await page.goto(`${server.url}/account`);
    await page.locator('#login').fill(login);
    await page.locator('#password').fill(goodPassword);
    await page.locator('#password').press('Enter');
  };

  /** Each page, how to reach it, and the part of it to show (default: the whole page). */
  const PAGES: Array<[name: string, open: (variant: Variant) => Promise<unknown>, part?: () => ReturnType<Page['locator']>]> = [
    ['mfa-second-step', async (variant) => {
      await hostedPassword(`mia-${variant.name}@example.com`, goodPassword);
      await page.locator('#totp-code').waitFor();
      await page.locator('#passkey-second-step button').waitFor();
    }],
    ['mfa-account-security', async (variant) => {
      await accountPassword(`mia-${variant.name}@example.com`);
      server.clock.advance(STEP);
      await page.locator('#totp-code').fill(oathtool(secrets.get(variant.name)!, server.clock.now()));
      await page.locator('#totp-code').press('Enter');
      await page.locator('#passkey-list tbody tr').waitFor();
    }, () => page.locator('section[aria-labelledby="security"]')],
    ['mfa-recovery-codes', async (variant) => {
      const email = `rae-${variant.name}@example.com`;
      await registerAndLogin(server, email);
      await accountPassword(email);
      await page.locator('form[action="/account/mfa/totp"] button').click();
      await page.locator('figure.qr svg').waitFor();
      await page.locator('#setup-code').fill(oathtool((await page.locator('#totp-secret').textContent())!, server.clock.now()));
      await page.locator('#setup-code').press('Enter');
      await page.locator('#recovery-codes').waitFor();
      expect(await page.locator('#recovery-codes li').count()).toBe(10);
    }],
    ['mfa-enrol', async () => {
      await hostedPassword('admin', ADMIN_PASSWORD);
      await page.locator(`form[action="/auth/mfa/enrol/start"] button`).waitFor();
    }],
  ];

  describe.each(VARIANTS)('$name', (variant) => {
    it.each(PAGES)('%s', async (name, open, part) => {
      await context?.close();
      const shot: ShotPage = await openVariant(chromium, variant);
      ({ context, page } = shot);
      await open(variant);
      await takeShot(shot, variant, name, part?.());
    });
  });
});
