/// <reference lib="dom" />
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACR_MULTI_FACTOR } from '../src/oidc-provider/interaction.js';
import { launchChromium, screenshot } from './helpers/chromium.js';
import { oathtool, STEP } from './helpers/mfa.js';
import { authorization, codeExchange, startOidcApp, type OidcApp } from './helpers/oidc-app.js';
import { openOidcPeer, type OidcPeer } from './helpers/oidc-peer.js';
import { registerAndLogin, startServer, type TestServer } from './helpers/server.js';
import { closeAll } from './helpers/close-all.js';

/**
 * `mfa.trustProviders: false` inside an OpenID interaction (CONTRACT §5): an account with TOTP signs in for an app
 * (openid-client, 127.0.0.1) through the generic OIDC provider (127.0.0.2) from Gatehouse's hosted login (127.0.0.3).
 * The provider's return shows Gatehouse's second page — before any session or code — and oathtool's code finishes the
 * sign-in, which goes back to the interaction (the stored continuation keeps it): the app's ID token says `fed`,
 * `otp`, `mfa` and the multi-factor `acr`.
 */
describe('a provider login inside an OpenID interaction asks for the second factor with mfa.trustProviders false (sqlite, Chromium)', () => {
  let server: TestServer;
  let peer: OidcPeer;
  let app: OidcApp;
  let chromium: Browser;
  const email = 'two-step@corp.example';
  let accountId = '';
  let secret = '';

  beforeAll(async () => {
    peer = await openOidcPeer('127.0.0.2');
    const peerSecret = 'peer-client-secret-0123456789abcdef';
    server = await startServer('sqlite', {
      host: '127.0.0.3',
      config: {
        signup: { enabled: true },
        mfa: { trustProviders: false },
        providers: { oidc: [{ id: 'corp', name: 'Corp SSO', issuer: peer.issuer, clientId: 'gh-corp', clientSecret: peerSecret }] },
      },
    });
    await peer.configure({ clients: [{ client_id: 'gh-corp', client_secret: peerSecret, redirect_uris: [`${server.url}/auth/oidc/corp/callback`] }] });
    peer.accounts.set('c-two', { email, email_verified: true });
    app = await startOidcApp(server);
    accountId = (await registerAndLogin(server, email)).userId;
    // TOTP set up as on the account page, confirmed with the previous step's code: the current step stays unused, so
    // the clock need not move (the ID token's times are checked against the real one).
    const { totp } = server.app.services.mfa;
    secret = (await totp.begin({ id: accountId, username: email })).secret;
    await totp.confirm(accountId, oathtool(secret, server.clock.now() - STEP));
    chromium = await launchChromium();
  }, 60_000);

  afterAll(async () => closeAll(chromium, server, peer, app));

  it('the second page appears at the provider\'s return, a wrong code shows it again, oathtool\'s code ends at the app with amr fed+otp+mfa', async () => {
    const context = await chromium.newContext({ locale: 'en-US' });
    await context.route(/^https:\/\/fonts\./, (route) => route.abort());
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    try {
      const started = await authorization(app);
      await page.goto(started.url.href);
      await page.waitForURL((url) => url.pathname === '/auth/login');
      const uid = new URL(page.url()).searchParams.get('interaction')!;
      await page.getByRole('link', { name: 'Continue with Corp SSO' }).click();
      await page.locator('input[name="login"]').fill('c-two');
      await page.locator('input[name="password"]').fill('any password');
      await page.locator('button[type="submit"]').click();
      await page.getByRole('button', { name: 'Continue' }).click();

      await page.locator('#totp-code').waitFor();
      expect(new URL(page.url()).origin).toBe(server.url);
      expect(await page.locator('h1').textContent()).toBe('Second step');
      // The page's form keeps the interaction (its query is the provider's, not ours); no session, no code yet.
      expect(await page.locator('form:has(#totp-code)').getAttribute('action')).toBe(`/auth/login/mfa?clientID=app&interaction=${uid}`);
      expect((await context.cookies(server.url)).some((cookie) => cookie.name === 'auth_token')).toBe(false);
      expect(app.rp.visits).toEqual([]);
      await screenshot(page, 'oidc-idp-second-step');

      await page.locator('#totp-code').fill('000000');
      await page.locator('#totp-code').press('Enter');
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('That code is wrong or was already used.');
      await page.locator('#totp-code').fill(oathtool(secret, server.clock.now()));
      await page.locator('#totp-code').press('Enter');

      const claims = await codeExchange(app, page, started);
      expect(claims.sub).toBe(accountId);
      expect(claims.amr).toEqual(['fed', 'otp', 'mfa']);
      expect(claims.acr).toBe(ACR_MULTI_FACTOR);
    } finally {
      await context.close();
    }
  });
});
