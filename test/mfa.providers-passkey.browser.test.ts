/// <reference lib="dom" />
import type { Server } from 'node:http';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCallbackApp } from './helpers/callback-app.js';
import { launchChromium, screenshot } from './helpers/chromium.js';
import { claimsOf } from './helpers/mfa.js';
import { openOidcPeer, type OidcPeer } from './helpers/oidc-peer.js';
import { freePort } from './helpers/ports.js';
import { signInAtProvider } from './helpers/provider-login.js';
import { startServer, type TestServer } from './helpers/server.js';
import { pageWithAuthenticator } from './helpers/webauthn-browser.js';

/**
 * `mfa.trustProviders: false` (CONTRACT §5) with a passkey as the second factor: a login through an OpenID Provider on
 * a site of its own (127.0.0.2) of an account with a passkey shows Gatehouse's second page, which the person answers
 * with the passkey in Chromium's virtual authenticator — for a client and for the cookie session. Gatehouse is on
 * `localhost` (a passkey's RP ID cannot be an IP address). The tests run in order, one browser profile whose cookies
 * are cleared before each login: the authenticator (and its signature counter) stays the same, as a person's device.
 */
describe('a provider login answered with a passkey, mfa.trustProviders false (Debian chromium, virtual authenticator)', () => {
  let server: TestServer;
  let base: string;
  let op: OidcPeer;
  let app: { server: Server; url: string };
  let chromium: Browser;
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  let authenticatorId: string;
  let accountId = '';
  const secretOfClient = 'peer-client-secret-0123456789abcdef';

  beforeAll(async () => {
    [op, app] = await Promise.all([openOidcPeer('127.0.0.2'), startCallbackApp('127.0.0.6')]);
    const port = await freePort();
    base = `http://localhost:${port}`;
    server = await startServer('sqlite', {
      port,
      config: {
        server: { baseUrl: base },
        signup: { enabled: true },
        mfa: { trustProviders: false },
        clients: [{ clientID: 'app', callbackURL: app.url, config: { tokenMethod: 'query' } }],
        providers: { oidc: [{ id: 'corp', name: 'Corp SSO', issuer: op.issuer, clientId: 'gh-corp', clientSecret: secretOfClient }] },
      },
    });
    await op.configure({ clients: [{ client_id: 'gh-corp', client_secret: secretOfClient, redirect_uris: [`${base}/auth/oidc/corp/callback`] }] });
    op.accounts.set('c-pia', { email: 'pia@corp.example', email_verified: true });
    chromium = await launchChromium();
    context = await chromium.newContext({ locale: 'en-US' });
    ({ page, cdp, authenticatorId } = await pageWithAuthenticator(context));
    page.setDefaultTimeout(15_000);
  });
  afterAll(async () => {
    await context?.close();
    await chromium?.close();
    await server?.close();
    await op?.close();
    app?.server.close();
  });

  const passkeysOfAccount = () => server.app.services.database.db.selectFrom('passkeys').selectAll().where('account_id', '=', accountId).execute();
  const authCookie = async () => (await context.cookies(base)).find((cookie) => cookie.name === 'auth_token');
  /** A login through the provider from a browser that forgot every site (Gatehouse's session and the provider's). */
  const providerLogin = async (startPath: string) => {
    await context.clearCookies();
    await signInAtProvider(page, `${base}${startPath}`, 'c-pia');
  };

  it('the first login (no factor yet) goes straight through; the person adds a passkey on the account page', async () => {
    await providerLogin('/auth/oidc/corp');
    await page.waitForURL(`${base}/auth/user`);
    accountId = JSON.parse((await page.locator('body').textContent())!).id;
    await page.goto(`${base}/account`);
    await page.locator('#passkey-name').fill('Phone');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.locator('#recovery-codes').waitFor();
    expect(await page.locator('#recovery-codes li').count()).toBe(10);
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toEqual([expect.objectContaining({ rpId: 'localhost', isResidentCredential: true })]);
    expect(await passkeysOfAccount()).toEqual([expect.objectContaining({ name: 'Phone', last_used_at: null })]);
  });

  it('with ?clientID=: the provider, then Gatehouse\'s second page offering the passkey; it delivers a token whose amr is fed+hwk+mfa', async () => {
    await providerLogin('/auth/oidc/corp?clientID=app');
    await page.getByRole('button', { name: 'Use a passkey' }).waitFor();
    expect(new URL(page.url()).origin).toBe(base);
    expect(await page.locator('h1').textContent()).toBe('Second step');
    // A passkey and recovery codes only: no authenticator-app field; no session and no token yet.
    expect(await page.locator('#totp-code').count()).toBe(0);
    expect(await authCookie()).toBeUndefined();
    await screenshot(page, 'provider-mfa-passkey-client');
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.waitForURL((url) => url.href.startsWith(app.url));
    const token = (await page.locator('#token').textContent())!;
    expect(claimsOf(token).amr).toEqual(['fed', 'hwk', 'mfa']);
    expect((await server.request('GET', '/auth/user', { token })).body).toMatchObject({ id: accountId, user: 'pia@corp.example' });
    expect((await passkeysOfAccount())[0]!.last_used_at).not.toBeNull();
  });

  it('a passkey the person does not confirm (no user verification) finishes nothing; the same page then takes it', async () => {
    await providerLogin('/auth/oidc/corp?clientID=app');
    await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
    try {
      await page.getByRole('button', { name: 'Use a passkey' }).click();
      await expect.poll(() => page.locator('[data-passkey-error]').textContent()).toContain('The passkey was not used.');
      expect(page.url().startsWith(app.url)).toBe(false);
    } finally {
      await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: true });
    }
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.waitForURL((url) => url.href.startsWith(app.url));
    expect(claimsOf((await page.locator('#token').textContent())!).amr).toEqual(['fed', 'hwk', 'mfa']);
  });

  it('without a client: the second page, then the passkey gives the auth cookie and the account page', async () => {
    await providerLogin('/auth/oidc/corp');
    await page.getByRole('button', { name: 'Use a passkey' }).waitFor();
    expect(await authCookie()).toBeUndefined();
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.waitForURL(`${base}/account`);
    await page.getByRole('heading', { name: 'Two-step sign-in' }).waitFor();
    expect(await authCookie()).toMatchObject({ sameSite: 'Strict', httpOnly: true });
    expect(await page.locator('#passkey-list tbody tr').textContent()).toMatch(/Phone/);
    // Every assertion moved the authenticator's counter on, and the server kept up: nothing was disabled.
    const { credentials: [credential] } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credential!.signCount).toBeGreaterThanOrEqual(3);
    expect(await passkeysOfAccount()).toEqual([expect.objectContaining({ disabled_at: null })]);
  });
});
