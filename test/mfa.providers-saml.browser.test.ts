/// <reference lib="dom" />
import type { Server } from 'node:http';
import type { Browser, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCallbackApp } from './helpers/callback-app.js';
import { launchChromium, screenshot } from './helpers/chromium.js';
import { claimsOf, oathtool, STEP } from './helpers/mfa.js';
import { makeKey, startSamlIdpServer, type SamlIdpServer } from './helpers/saml-idp.js';
import { startServer, type TestServer } from './helpers/server.js';

/**
 * `mfa.trustProviders` and SAML (CONTRACT §5) in Debian's Chromium: the samlify IdP on 127.0.0.3 returns the Response
 * by a cross-site POST to Gatehouse on 127.0.0.1, the client application is on 127.0.0.6 — three sites. With `false`
 * a login of an account with TOTP shows Gatehouse's second page before any token or cookie, and oathtool's code
 * finishes it; with `true` (the default) the same login goes straight through.
 */

const person = 'sam@saml.example';
let chromium: Browser;
let app: { server: Server; url: string };
beforeAll(async () => {
  [chromium, app] = await Promise.all([launchChromium(), startCallbackApp('127.0.0.6')]);
});
afterAll(async () => {
  await chromium?.close();
  app?.server.close();
});

/** A Gatehouse with SAML against its own IdP server on another site, and the account of `person` with TOTP set up. */
function useSamlWithTotp(trustProviders: boolean): { server: TestServer; secret: string } {
  const s = { secret: '' } as { server: TestServer; idp: SamlIdpServer; secret: string };
  beforeAll(async () => {
    s.idp = await startSamlIdpServer({ key: makeKey('mfa-idp'), now: () => s.server.clock.now() });
    s.idp.user = person;
    s.server = await startServer('sqlite', {
      config: {
        mfa: { trustProviders },
        saml: { enabled: true, relyingPartyId: 'https://gatehouse.test/sp', idpMetadataUrl: s.idp.metadataUrl, userAutoProvisioning: true },
        clients: [{ clientID: 'app', callbackURL: app.url, config: { tokenMethod: 'query' } }],
      },
    });
    s.idp.trust((await s.server.request('GET', '/auth/saml/metadata')).text);
    // The first login makes the account (no factor yet, so it goes straight through); it then sets up TOTP, as it
    // would on its account page.
    const first = await samlLogin(s.server, '/auth/saml');
    await first.page.waitForURL(`${s.server.url}/auth/user`);
    const accountId = JSON.parse((await first.page.locator('body').textContent())!).id as string;
    await first.close();
    const { totp } = s.server.app.services.mfa;
    s.secret = (await totp.begin({ id: accountId, username: person })).secret;
    await totp.confirm(accountId, oathtool(s.secret, s.server.clock.now()));
  }, 60_000);
  afterAll(async () => {
    await s.server?.close();
    await s.idp?.close();
  });
  return s;
}

/**
 * Starts a SAML login at `path` in a fresh browser profile; answers the page and the ACS's answer (the IdP's
 * cross-site POST), which the test awaits.
 */
async function samlLogin(server: TestServer, path: string): Promise<{ page: Page; acs: Promise<Response>; close(): Promise<void> }> {
  const context = await chromium.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const acs = page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === `${server.url}/auth/saml`);
  acs.catch(() => undefined);
  await page.goto(`${server.url}${path}`, { waitUntil: 'commit' });
  return { page, acs, close: () => context.close() };
}

const hasAuthCookie = async (page: Page, server: TestServer) => (await page.context().cookies(server.url)).some((cookie) => cookie.name === 'auth_token');

describe('a SAML login asks for the second factor with mfa.trustProviders false (Debian chromium, samlify IdP)', { timeout: 60_000 }, () => {
  const s = useSamlWithTotp(false);

  it('with ?clientID=: the IdP\'s cross-site POST, then Gatehouse\'s code page; oathtool\'s code delivers a token whose amr is fed+otp+mfa', async () => {
    const { page, acs, close } = await samlLogin(s.server, '/auth/saml?clientID=app');
    try {
      const posted = await acs;
      expect(await posted.request().headerValue('sec-fetch-site')).toBe('cross-site');
      expect(posted.status()).toBe(200);
      await page.locator('#totp-code').waitFor();
      expect(new URL(page.url()).origin).toBe(s.server.url);
      expect(await page.locator('h1').textContent()).toBe('Second step');
      await screenshot(page, 'provider-mfa-saml');
      // A wrong code shows the page again; nothing reached the client.
      await page.locator('#totp-code').fill('000000');
      await page.locator('#totp-code').press('Enter');
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('That code is wrong or was already used.');
      s.server.clock.advance(STEP);
      await page.locator('#totp-code').fill(oathtool(s.secret, s.server.clock.now()));
      await page.locator('#totp-code').press('Enter');
      await page.waitForURL((url) => url.href.startsWith(app.url));
      const token = (await page.locator('#token').textContent())!;
      expect(claimsOf(token).amr).toEqual(['fed', 'otp', 'mfa']);
      expect((await s.server.request('GET', '/auth/user', { token })).body.user).toBe(person);
    } finally {
      await close();
    }
  });

  it('without a client: the code page, then the auth cookie and the account page', async () => {
    const { page, acs, close } = await samlLogin(s.server, '/auth/saml');
    try {
      expect((await acs).status()).toBe(200);
      await page.locator('#totp-code').waitFor();
      expect(await hasAuthCookie(page, s.server)).toBe(false);
      s.server.clock.advance(STEP);
      await page.locator('#totp-code').fill(oathtool(s.secret, s.server.clock.now()));
      await page.locator('#totp-code').press('Enter');
      await page.waitForURL(`${s.server.url}/account`);
      await page.getByRole('heading', { name: 'Two-step sign-in' }).waitFor();
      expect(await hasAuthCookie(page, s.server)).toBe(true);
    } finally {
      await close();
    }
  });
});

describe('a SAML login does not ask for it with mfa.trustProviders true (Debian chromium, samlify IdP)', { timeout: 60_000 }, () => {
  const s = useSamlWithTotp(true);

  it('the same account with TOTP goes from the IdP straight to the client, with a token whose amr is fed', async () => {
    const { page, acs, close } = await samlLogin(s.server, '/auth/saml?clientID=app');
    try {
      expect(await (await acs).request().headerValue('sec-fetch-site')).toBe('cross-site');
      await page.waitForURL((url) => url.href.startsWith(app.url));
      expect(claimsOf((await page.locator('#token').textContent())!).amr).toEqual(['fed']);
    } finally {
      await close();
    }
  });

  it('without a client: straight to /auth/user with the session', async () => {
    const { page, close } = await samlLogin(s.server, '/auth/saml');
    try {
      await page.waitForURL(`${s.server.url}/auth/user`);
      expect(JSON.parse((await page.locator('body').textContent())!).user).toBe(person);
      expect(await hasAuthCookie(page, s.server)).toBe(true);
    } finally {
      await close();
    }
  });
});
