import { decodeJwt } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './helpers/chromium.js';
import { addOidcClient, startRelyingParty, type RelyingParty } from './helpers/oidc-clients.js';
import {
  authorizationRequest, backAtRelyingParty, exchangeCode, pagesShownDuring, submitHostedLogin, type AuthorizationRequest,
} from './helpers/oidc-flow.js';
import { dialects, registerAndLogin, sqliteOnly, startServer, type TestServer } from './helpers/server.js';
import { closeAll } from './helpers/close-all.js';

/**
 * Single sign-on and the prompts in Chromium (CONTRACT §5): a person signed in for one app is signed in for the next
 * without a login page; `prompt=login` and `max_age` ask again; `login_hint` travels to the hosted login;
 * `response_mode=form_post` delivers the code by a form posted to the app. The central flow (SSO) runs on both
 * dialects, the prompts on SQLite.
 */
describe.each(dialects)('single sign-on across Gatehouse\'s OpenID clients (%s, Chromium)', (dialect) => {
  let server: TestServer;
  let rp: RelyingParty;
  let chromium: Browser;
  let context: BrowserContext;
  let page: Page;
  let accountId = '';
  const email = `sso-${dialect}@example.com`;
  const secret = 'sso-secret-0123456789abcdef-0123456789';
  const alpha = { id: 'alpha', secret };
  const beta = { id: 'beta', secret };
  let redirectUri = '';

  beforeAll(async () => {
    rp = await startRelyingParty('127.0.0.1');
    redirectUri = `${rp.origin}/cb`;
    server = await startServer(dialect, { host: '127.0.0.3' });
    await addOidcClient(server, alpha.id, { redirectUris: [redirectUri], firstParty: true }, secret);
    await addOidcClient(server, beta.id, { redirectUris: [redirectUri], firstParty: true }, secret);
    accountId = (await registerAndLogin(server, email)).userId;
    chromium = await launchChromium();
  });
  afterAll(async () => closeAll(chromium, server, rp));

  /** A browser of its own (no Gatehouse session yet). */
  const freshBrowser = async (locale = 'en-US') => {
    await context?.close();
    context = await chromium.newContext({ locale });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
  };

  /**
   * Sets the server's manual clock to real time. Why: node-oidc-provider dates its interactions and checks `max_age`
   * by real time, while Gatehouse's sessions are dated by the server clock; each test starts its sign-in with the two
   * level (a clock left behind would make every sign-in look older than the interaction that asked for a fresh one, a
   * clock left ahead every sign-in younger than `max_age`).
   */
  const levelClocks = () => server.clock.set(Date.now());

  /** Walks an authorization request; answers the pages shown and the ID token of the code's exchange. */
  const authorize = async (client: { id: string; secret: string }, extra: Record<string, string> = {}, login = false) => {
    const request = authorizationRequest(server, client.id, redirectUri, { scope: 'openid email', ...extra });
    let callback!: URL;
    const shown = await pagesShownDuring(page, async () => {
      await page.goto(request.url.href);
      if (login) await submitHostedLogin(page, email);
      callback = await backAtRelyingParty(page, rp);
    });
    const idToken = await idTokenOf(request, callback, client);
    return { shown, idToken, request };
  };

  const idTokenOf = async (request: AuthorizationRequest, callback: URL, client: { id: string; secret: string }) => {
    expect(callback.searchParams.get('state')).toBe(request.state);
    const exchange = await exchangeCode(server, request, callback, client);
    expect(exchange.status, JSON.stringify(exchange.body)).toBe(200);
    return decodeJwt(exchange.body.id_token as string);
  };

  const loginPageShown = (shown: string[]) => shown.some((url) => new URL(url).pathname === '/auth/login');

  it('signed in for one app, the next app gets a code with no login page (same person, same sign-in)', async () => {
    await freshBrowser();
    levelClocks();
    const first = await authorize(alpha, {}, true);
    expect(loginPageShown(first.shown)).toBe(true);
    const second = await authorize(beta);
    expect(loginPageShown(second.shown), second.shown.join('\n')).toBe(false);
    expect(second.idToken).toMatchObject({ sub: accountId, aud: 'beta', auth_time: first.idToken.auth_time, nonce: second.request.nonce });
  });

  sqliteOnly(dialect)('prompt=login shows the login again, though signed in; the new sign-in is the one in auth_time', async () => {
    await freshBrowser();
    levelClocks();
    const first = await authorize(alpha, {}, true);
    server.clock.advance(5_000);
    const again = await authorize(alpha, { prompt: 'login' }, true);
    expect(loginPageShown(again.shown)).toBe(true);
    expect(again.idToken.auth_time).toBeGreaterThan(first.idToken.auth_time as number);
  });

  sqliteOnly(dialect)('max_age: a sign-in older than it shows the login again; a younger one does not', async () => {
    await freshBrowser();
    // A sign-in made 30 s ago by both clocks: node-oidc-provider's (real time) and the session's (the server's).
    server.clock.set(Date.now() - 30_000);
    const first = await authorize(alpha, {}, true);
    const young = await authorize(beta, { max_age: '3600' });
    expect(loginPageShown(young.shown)).toBe(false);
    expect(young.idToken.auth_time).toBe(first.idToken.auth_time);

    server.clock.advance(20_000);
    const old = await authorize(beta, { max_age: '10' }, true);
    expect(loginPageShown(old.shown)).toBe(true);
    expect(old.idToken.auth_time).toBeGreaterThan(first.idToken.auth_time as number);
  });

  sqliteOnly(dialect)('login_hint travels to the hosted login as its e-mail', async () => {
    await freshBrowser();
    const request = authorizationRequest(server, alpha.id, redirectUri, { login_hint: email });
    await page.goto(request.url.href);
    await page.waitForURL(/\/auth\/login\?/);
    expect(new URL(page.url()).searchParams.get('email')).toBe(email);
  });

  sqliteOnly(dialect)('response_mode=form_post: the code reaches the app in a form posted to its redirect URI', async () => {
    await freshBrowser();
    levelClocks();
    await authorize(alpha, {}, true);
    const request = authorizationRequest(server, beta.id, redirectUri, { scope: 'openid email', response_mode: 'form_post' });
    const posted = rp.posts.length;
    const blocked: string[] = [];
    page.on('console', (message) => { if (message.type() === 'error') blocked.push(message.text()); });
    // The provider's pages this navigation loads (headers only: the self-submitting page is gone before a body could be read).
    const providerPages: Array<Record<string, string>> = [];
    page.on('response', (response) => {
      if (response.url().startsWith(`${server.url}/oidc/`) && response.status() === 200 && response.headers()['content-type']?.startsWith('text/html')) providerPages.push(response.headers());
    });
    await page.goto(request.url.href);
    await backAtRelyingParty(page, rp);
    // The self-submitting form runs under a CSP that admits that one script by its hash, and no other inline script.
    expect(providerPages).toHaveLength(1);
    const csp = providerPages[0]!['content-security-policy'] ?? '';
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain('unsafe-inline');
    await expect.poll(() => rp.posts.length).toBe(posted + 1);
    const post = rp.posts.at(-1)!;
    expect(post.url.pathname).toBe('/cb');
    expect(post.url.search).toBe('');
    expect(post.body.get('state')).toBe(request.state);
    expect(post.body.get('iss')).toBe(server.url);
    expect(blocked).toEqual([]);
    const callback = new URL(`${redirectUri}?${post.body.toString()}`);
    expect((await idTokenOf(request, callback, beta)).sub).toBe(accountId);
  });
});
