/// <reference lib="dom" />
import type { Server } from 'node:http';
import type { Browser, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertClient } from '../src/clients/client.repository.js';
import { startCallbackApp } from './helpers/callback-app.js';
import { launchChromium, screenshot } from './helpers/chromium.js';
import { openOidcPeer, type OidcPeer } from './helpers/oidc-peer.js';
import { signInAtProvider } from './helpers/provider-login.js';
import { startServer, type TestServer } from './helpers/server.js';

/**
 * Google, generic OIDC and Facebook logins walked in Debian's chromium (CONTRACT §5, issue 14 items 2 and 10):
 * Gatehouse on 127.0.0.1, each identity provider a site of its own on another loopback address, so Chromium
 * applies its real SameSite rules to the return. The person types into the provider's own login form; the page
 * Chromium ends on — never a second navigation — must already show the person.
 */


const providers = [
  { name: 'Google', path: '/auth/google', login: 'g-ann', email: 'ann@google.example' },
  { name: 'generic OIDC', path: '/auth/oidc/corp', login: 'c-bea', email: 'bea@corp.example' },
  { name: 'Facebook', path: '/auth/facebook', login: 'fb-cid', email: 'cid@facebook.example' },
] as const;

describe('provider logins in a real browser (Debian chromium), each provider on its own site', () => {
  let server: TestServer;
  let op: OidcPeer;
  let facebook: OidcPeer;
  let app: { server: Server; url: string };
  let chromium: Browser;
  const secret = 'peer-client-secret-0123456789abcdef';

  beforeAll(async () => {
    // One OpenID Provider on 127.0.0.2 is both `providers.google` (by its issuer) and the generic OIDC `corp`.
    [op, facebook, app] = await Promise.all([openOidcPeer('127.0.0.2'), openOidcPeer('127.0.0.4'), startCallbackApp('127.0.0.6')]);
    server = await startServer('sqlite', {
      config: {
        signup: { enabled: true },
        clients: [
          { clientID: 'app', callbackURL: app.url, config: { tokenMethod: 'query' } },
          // A quote in the path is a valid URL character; a refresh URL starting with a quote would be cut there.
          { clientID: 'quoted', callbackURL: `${app.url.replace('/callback', "/it's/callback")}?x=1&y=2`, config: { tokenMethod: 'query' } },
        ],
        providers: {
          google: { clientId: 'gh-google', clientSecret: secret, issuer: op.issuer },
          facebook: {
            clientId: 'gh-facebook', clientSecret: secret, scopes: ['openid', 'email'],
            authorizationUrl: `${facebook.issuer}/auth`, tokenUrl: `${facebook.issuer}/token`, userInfoUrl: `${facebook.issuer}/me`,
          },
          oidc: [{ id: 'corp', name: 'Corp SSO', issuer: op.issuer, clientId: 'gh-corp', clientSecret: secret }],
        },
      },
    });
    // A client whose callbackURL is on Gatehouse's own site, taking its token as the auth cookie.
    await insertClient(server.app.services.database.db, {
      clientID: 'own', callbackURL: `${server.url}/auth/user`, config: { tokenMethod: ['cookie'], disableStrategies: [] }, name: null, oidc: null,
    }, Date.now());
    await Promise.all([
      op.configure({ clients: [
        { client_id: 'gh-google', client_secret: secret, redirect_uris: [`${server.url}/auth/google/callback`] },
        { client_id: 'gh-corp', client_secret: secret, redirect_uris: [`${server.url}/auth/oidc/corp/callback`] },
      ] }),
      facebook.configure({ clients: [{ client_id: 'gh-facebook', client_secret: secret, redirect_uris: [`${server.url}/auth/facebook/callback`] }] }),
    ]);
    for (const { path, login, email } of providers) (path === '/auth/facebook' ? facebook : op).accounts.set(login, { email, email_verified: true });
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await server?.close();
    await Promise.all([op?.close(), facebook?.close()]);
    app?.server.close();
  });

  /**
   * Opens `startUrl` in a fresh browser, signs in at the provider's login form (and consents), and waits until
   * Chromium settles where `done` says; answers the page and every response of Gatehouse's callback on the way.
   */
  async function walk(startUrl: string, login: string, done: (url: URL) => boolean, shot: string): Promise<{ page: Page; callbacks: Response[] }> {
    const context = await chromium.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const callbacks: Response[] = [];
    page.on('response', (response) => {
      const url = new URL(response.url());
      if (url.origin === server.url && url.pathname.endsWith('/callback')) callbacks.push(response);
    });
    expect(await signInAtProvider(page, startUrl, login)).not.toBe('127.0.0.1');
    await page.waitForURL(done);
    await page.waitForLoadState('load');
    await screenshot(page, shot);
    return { page, callbacks };
  }

  const shown = async (page: Page) => JSON.parse((await page.locator('body').textContent())!);

  it.each(providers)('$name without a client: the first page after the login (/auth/user) already shows the person', async ({ path, login, email }) => {
    const { page, callbacks } = await walk(`${server.url}${path}`, login, (url) => url.origin === server.url && url.pathname === '/auth/user', `provider-${login}-landing`);
    expect(await shown(page)).toMatchObject({ user: email });
    // The callback answered our own landing page, and Chromium went on from there by itself.
    expect(callbacks.map((response) => response.status())).toEqual([200]);
    expect((await page.context().cookies(server.url)).find((cookie) => cookie.name === 'auth_token')).toMatchObject({ sameSite: 'Strict', httpOnly: true });
    await page.context().close();
  });

  it.each(providers)('$name with ?clientID= (tokenMethod query): ends at the client\'s callback with a working token', async ({ path, login, email }) => {
    const { page, callbacks } = await walk(`${server.url}${path}?clientID=app`, login, (url) => url.href.startsWith(app.url), `provider-${login}-client`);
    const token = (await page.locator('#token').textContent())!;
    expect(token).toBeTruthy();
    expect((await server.request('GET', '/auth/user', { token })).body.user).toBe(email);
    // The last hop to the client is taken from our own page too (a token in the URL needs no cookie, but a
    // client on Gatehouse's site may read its session there).
    expect(callbacks.map((response) => response.status())).toEqual([200]);
    await page.context().close();
  });

  it('a callbackURL with a quote and a query arrives whole, the token added', async () => {
    const { page } = await walk(`${server.url}/auth/oidc/corp?clientID=quoted`, 'c-bea', (url) => url.href.startsWith(new URL(app.url).origin), 'provider-quoted-client');
    const landed = new URL(page.url());
    expect(decodeURIComponent(landed.pathname)).toBe("/it's/callback");
    expect([landed.searchParams.get('x'), landed.searchParams.get('y')]).toEqual(['1', '2']);
    expect((await server.request('GET', '/auth/user', { token: landed.searchParams.get('token')! })).body.user).toBe('bea@corp.example');
    await page.context().close();
  });

  it('a client taking its token as the auth cookie (tokenMethod cookie) on Gatehouse\'s own site sees it on its first page', async () => {
    const { page } = await walk(`${server.url}/auth/oidc/corp?clientID=own`, 'c-bea', (url) => url.origin === server.url && url.pathname === '/auth/user', 'provider-cookie-client');
    expect(await shown(page)).toMatchObject({ user: 'bea@corp.example' });
    await page.context().close();
  });
});
