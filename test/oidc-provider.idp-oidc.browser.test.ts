/// <reference lib="dom" />
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from './helpers/chromium.js';
import { authorization, codeExchange, startOidcApp, type OidcApp } from './helpers/oidc-app.js';
import { addTotp, oathtool, STEP } from './helpers/mfa.js';
import { openOidcPeer, type OidcPeer } from './helpers/oidc-peer.js';
import { dialects, goodPassword, registerAndLogin, startServer, type TestServer } from './helpers/server.js';
import { closeAll } from './helpers/close-all.js';

/**
 * The identity-provider logins of the hosted login inside an OpenID interaction (issue 18 item 3, CONTRACT §5): an app
 * (openid-client, on 127.0.0.1) starts an authorization at Gatehouse (127.0.0.3); the person picks "Continue with Corp
 * SSO" on the hosted login and signs in at a real OpenID Provider (node-oidc-provider, 127.0.0.2) — three sites, so
 * Chromium applies its real SameSite rules. The provider flow keeps the interaction, signs in to Gatehouse and goes
 * back to the interaction, so the app's code yields an ID token for the Gatehouse account with `amr` `fed`.
 */
describe.each(dialects)('a generic OIDC login inside an OpenID interaction (%s, Chromium)', (dialect) => {
  let server: TestServer;
  let peer: OidcPeer;
  let app: OidcApp;
  let chromium: Browser;
  const email = `fed-${dialect}@corp.example`;
  let accountId = '';
  let accessToken = '';

  beforeAll(async () => {
    peer = await openOidcPeer('127.0.0.2');
    const secret = 'peer-client-secret-0123456789abcdef';
    server = await startServer(dialect, {
      host: '127.0.0.3',
      config: { signup: { enabled: true }, providers: { oidc: [{ id: 'corp', name: 'Corp SSO', issuer: peer.issuer, clientId: 'gh-corp', clientSecret: secret }] } },
    });
    await peer.configure({ clients: [{ client_id: 'gh-corp', client_secret: secret, redirect_uris: [`${server.url}/auth/oidc/corp/callback`] }] });
    // The peer vouches for the e-mail of an existing Gatehouse account: verified (links to it), and once unverified.
    peer.accounts.set('c-ann', { email, email_verified: true });
    peer.accounts.set('c-eve', { email, email_verified: false });
    app = await startOidcApp(server);
    ({ userId: accountId, accessToken } = await registerAndLogin(server, email));
    chromium = await launchChromium();
  }, 60_000);

  afterAll(async () => closeAll(chromium, server, peer, app));

  async function browse(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await chromium.newContext({ locale: 'en-US' });
    // The peer's development pages import a web font; the network is closed, so fail that at once.
    await context.route(/^https:\/\/fonts\./, (route) => route.abort());
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    return { context, page };
  }

  /** From the hosted login: "Continue with Corp SSO", then the peer's own login and consent forms. */
  async function signInAtPeer(page: Page, login: string): Promise<void> {
    await page.getByRole('link', { name: 'Continue with Corp SSO' }).click();
    await page.waitForURL((url) => url.origin === peer.issuer);
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('any password');
    await page.locator('button[type="submit"]').click();
    await page.getByRole('button', { name: 'Continue' }).click();
  }

  it('the app gets a code whose ID token names the Gatehouse account (sub) signed in by federation (amr fed); the next authorization is single sign-on', async () => {
    const { context, page } = await browse();
    try {
      const callbacks: Response[] = [];
      page.on('response', (response) => { if (response.url().startsWith(`${server.url}/auth/oidc/corp/callback`)) callbacks.push(response); });
      const started = await authorization(app);
      await page.goto(started.url.href);
      await page.waitForURL((url) => url.pathname === '/auth/login');
      const uid = new URL(page.url()).searchParams.get('interaction');
      expect(uid).toMatch(/^[A-Za-z0-9_-]{10,64}$/);
      // The hosted login's provider link carries the client and the interaction to the provider flow.
      expect(await page.getByRole('link', { name: 'Continue with Corp SSO' }).getAttribute('href')).toBe(`/auth/oidc/corp?clientID=app&interaction=${uid}`);
      await screenshot(page, `oidc-idp-hosted-login-${dialect}`);
      await signInAtPeer(page, 'c-ann');
      const claims = await codeExchange(app, page, started);
      expect(claims.sub).toBe(accountId);
      expect(claims.amr).toEqual(['fed']);
      expect(claims.email).toBe(email);
      // The callback answered our own landing page (the SameSite=Strict cookie needs a hop from our site), no token anywhere.
      expect(callbacks.map((response) => response.status())).toEqual([200]);
      expect(new URL(page.url()).searchParams.has('token')).toBe(false);
      const cookie = (await context.cookies(server.url)).find((c) => c.name === 'auth_token');
      expect(cookie).toMatchObject({ sameSite: 'Strict', httpOnly: true });
      // The Gatehouse session records the provider's method, as the same login outside an interaction does.
      const sessionId = decodeURIComponent(cookie!.value).split('.')[0]!;
      const db = server.app.services.database.db;
      const session = await db.selectFrom('sessions').select(['method', 'amr']).where('id', '=', sessionId).executeTakeFirstOrThrow();
      expect(session).toEqual({ method: 'oidc', amr: 'fed' });
      const audited = await db.selectFrom('audit_events').select('data').where('type', '=', 'login.succeeded').where('session_id', '=', sessionId).executeTakeFirstOrThrow();
      expect(JSON.parse(String(audited.data))).toMatchObject({ method: 'oidc' });

      // The Gatehouse browser session the provider login started signs the person in to the next authorization.
      const again = await authorization(app);
      await page.goto(again.url.href);
      const second = await codeExchange(app, page, again);
      expect([second.sub, second.amr]).toEqual([accountId, ['fed']]);
    } finally {
      await context.close();
    }
  });

  it('a failed provider login returns to the interaction\'s hosted login, which says so; a password then finishes the same authorization', async () => {
    const { context, page } = await browse();
    try {
      const started = await authorization(app, { login_hint: email });
      await page.goto(started.url.href);
      await page.waitForURL((url) => url.pathname === '/auth/login');
      const uid = new URL(page.url()).searchParams.get('interaction')!;
      // login_hint fills in the e-mail.
      expect(await page.locator('#email').inputValue()).toBe(email);
      // An unverified e-mail of an existing account never links to it (CONTRACT §5 "Linking"): refused as conflict.
      await signInAtPeer(page, 'c-eve');
      await page.waitForURL((url) => url.origin === server.url && url.pathname === '/auth/login');
      const back = new URL(page.url());
      expect([back.searchParams.get('clientID'), back.searchParams.get('interaction'), back.searchParams.get('error')]).toEqual(['app', uid, 'conflict']);
      expect(await page.getByRole('alert').textContent()).toContain('Signing in with that provider did not work.');
      expect(app.rp.visits.some((visit) => visit.searchParams.get('state') === started.state)).toBe(false);
      await screenshot(page, `oidc-idp-provider-failed-${dialect}`);
      await page.locator('#email').fill(email);
      await page.locator('#password').fill(goodPassword);
      await page.click('form[action^="/auth/login"] button[type=submit]');
      const claims = await codeExchange(app, page, started);
      expect([claims.sub, claims.amr]).toEqual([accountId, ['pwd']]);
    } finally {
      await context.close();
    }
  });

  // Last: it gives the account a second factor.
  it('signed in by federation (mfa.trustProviders), the account then gets TOTP: acr_values loa:2 asks for the code only, then amr fed otp mfa on the same oidc session', async () => {
    const { context, page } = await browse();
    try {
      const started = await authorization(app);
      await page.goto(started.url.href);
      await page.waitForURL((url) => url.pathname === '/auth/login');
      await signInAtPeer(page, 'c-ann');
      expect((await codeExchange(app, page, started)).acr).toBe('urn:gatehouse:loa:1');
      const { secret } = await addTotp(server, accessToken);

      const stepUp = await authorization(app, { acr_values: 'urn:gatehouse:loa:2' });
      await page.goto(stepUp.url.href);
      await page.locator('#totp-code').waitFor();
      server.clock.advance(STEP);
      await page.locator('#totp-code').fill(oathtool(secret, server.clock.now()));
      await page.locator('#totp-code').press('Enter');
      const claims = await codeExchange(app, page, stepUp);
      expect([claims.sub, claims.acr]).toEqual([accountId, 'urn:gatehouse:loa:2']);
      expect(claims.amr).toEqual(expect.arrayContaining(['fed', 'otp', 'mfa']));
      expect(claims.amr).not.toContain('pwd');
      const cookie = (await context.cookies(server.url)).find((c) => c.name === 'auth_token');
      const session = await server.app.services.database.db.selectFrom('sessions').select(['method', 'amr'])
        .where('id', '=', decodeURIComponent(cookie!.value).split('.')[0]!).executeTakeFirstOrThrow();
      expect(session.method).toBe('oidc');
      expect(session.amr?.split(' ')).toEqual(['fed', 'otp', 'mfa']);
    } finally {
      await context.close();
    }
  }, 60_000);
});
