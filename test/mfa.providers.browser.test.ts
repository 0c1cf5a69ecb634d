/// <reference lib="dom" />
import { createServer, type Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { casUsers, startCasServer, type CasServer } from './helpers/cas-server.js';
import { launchChromium, screenshot } from './helpers/chromium.js';
import { oathtool, STEP } from './helpers/mfa.js';
import { openOidcPeer, type OidcPeer } from './helpers/oidc-peer.js';
import { signInAtProvider } from './helpers/provider-login.js';
import { startServer, type TestServer } from './helpers/server.js';

/** A client application on a site of its own: shows the token it received. */
function startCallbackApp(host: string): Promise<{ server: Server; url: string }> {
  return new Promise((resolve) => {
    const server = createServer((request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(`<h1>callback</h1><p id="token">${new URL(request.url ?? '/', 'http://x').searchParams.get('token') ?? ''}</p>`);
    });
    server.listen(0, host, () => resolve({ server, url: `http://${host}:${(server.address() as { port: number }).port}/callback` }));
  });
}

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));

/**
 * `mfa.trustProviders: false` (CONTRACT §5): a login through an OpenID Provider on a site of its own (127.0.0.2) of an
 * account with TOTP asks for the code on Gatehouse's page before the client gets a token or the browser a cookie.
 */
describe('provider logins ask for the second factor with mfa.trustProviders false (Debian chromium)', () => {
  let server: TestServer;
  let op: OidcPeer;
  let app: { server: Server; url: string };
  let chromium: Browser;
  let secret = '';
  const secretOfClient = 'peer-client-secret-0123456789abcdef';

  beforeAll(async () => {
    [op, app] = await Promise.all([openOidcPeer('127.0.0.2'), startCallbackApp('127.0.0.6')]);
    server = await startServer('sqlite', {
      config: {
        signup: { enabled: true },
        mfa: { trustProviders: false },
        clients: [{ clientID: 'app', callbackURL: app.url, config: { tokenMethod: 'query' } }],
        providers: { oidc: [{ id: 'corp', name: 'Corp SSO', issuer: op.issuer, clientId: 'gh-corp', clientSecret: secretOfClient }] },
      },
    });
    await op.configure({ clients: [{ client_id: 'gh-corp', client_secret: secretOfClient, redirect_uris: [`${server.url}/auth/oidc/corp/callback`] }] });
    op.accounts.set('c-dee', { email: 'dee@corp.example', email_verified: true });
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await server?.close();
    await op?.close();
    app?.server.close();
  });

  const fresh = async (): Promise<Page> => {
    const page = await (await chromium.newContext()).newPage();
    page.setDefaultTimeout(15_000);
    return page;
  };

  it('the first login (no factor yet) goes straight through; the person then sets up TOTP with the token', async () => {
    const page = await fresh();
    await signInAtProvider(page, `${server.url}/auth/oidc/corp?clientID=app`, 'c-dee');
    await page.waitForURL((url) => url.href.startsWith(app.url));
    const token = (await page.locator('#token').textContent())!;
    expect(claimsOf(token).amr).toEqual(['fed']);
    const setup = await server.request('POST', '/api/auth/mfa/totp', { token });
    expect(setup.status, setup.text).toBe(200);
    secret = setup.body.secret;
    expect((await server.request('POST', '/api/auth/mfa/totp/confirm', { token, json: { code: oathtool(secret, server.clock.now()) } })).status).toBe(200);
    await page.context().close();
  });

  it('with ?clientID=: after the provider, Gatehouse\'s code page; oathtool\'s code delivers a token whose amr is fed+otp+mfa', async () => {
    const page = await fresh();
    await signInAtProvider(page, `${server.url}/auth/oidc/corp?clientID=app`, 'c-dee');
    await page.locator('#totp-code').waitFor();
    expect(new URL(page.url()).origin).toBe(server.url);
    await screenshot(page, 'provider-mfa-client');
    server.clock.advance(STEP);
    await page.locator('#totp-code').fill(oathtool(secret, server.clock.now()));
    await page.locator('#totp-code').press('Enter');
    await page.waitForURL((url) => url.href.startsWith(app.url));
    const token = (await page.locator('#token').textContent())!;
    expect(claimsOf(token).amr).toEqual(['fed', 'otp', 'mfa']);
    expect((await server.request('GET', '/auth/user', { token })).body.user).toBe('dee@corp.example');
    await page.context().close();
  });

  it('without a client: the code page, then the auth cookie and the account page', async () => {
    const page = await fresh();
    await signInAtProvider(page, `${server.url}/auth/oidc/corp`, 'c-dee');
    await page.locator('#totp-code').waitFor();
    expect((await page.context().cookies(server.url)).some((cookie) => cookie.name === 'auth_token')).toBe(false);
    server.clock.advance(STEP);
    await page.locator('#totp-code').fill(oathtool(secret, server.clock.now()));
    await page.locator('#totp-code').press('Enter');
    await page.waitForURL((url) => url.origin === server.url && url.pathname === '/account');
    await page.getByRole('heading', { name: 'Two-step sign-in' }).waitFor();
    expect((await page.context().cookies(server.url)).find((cookie) => cookie.name === 'auth_token')).toMatchObject({ sameSite: 'Strict', httpOnly: true });
    await page.context().close();
  });
});

describe('a CAS login asks for the second factor with mfa.trustProviders false (Debian chromium, django-cas-server)', () => {
  let cas: CasServer;
  let chromium: Browser;
  let server: TestServer;

  beforeAll(async () => {
    [cas, chromium] = await Promise.all([startCasServer('127.0.0.5'), launchChromium()]);
    server = await startServer('sqlite', { config: { mfa: { trustProviders: false }, cas: { enabled: true, serverUrl: cas.url, version: 'cas3', userAutoProvisioning: true } } });
  }, 60_000);
  afterAll(async () => {
    await chromium?.close();
    await server?.close();
    await cas?.stop();
  });

  /** Signs in at the CAS server's own form (a site of its own) from `GET /auth/cas`. */
  const casLogin = async (page: Page) => {
    // The CAS pages load Bootstrap and jQuery from CDNs; the network is closed, so fail those at once.
    await page.context().route(/^https:/, (route) => route.abort());
    await page.goto(`${server.url}/auth/cas`);
    await page.locator('input[name="username"]').fill('alice');
    await page.locator('input[name="password"]').fill(casUsers.alice.password);
    await page.locator('#login_form button[type="submit"]').click();
  };

  it('after the CAS server, Gatehouse\'s code page; oathtool\'s code gives the cookie session', async () => {
    const first = await (await chromium.newContext()).newPage();
    first.setDefaultTimeout(15_000);
    await casLogin(first);
    await first.waitForURL((url) => url.origin === server.url && url.pathname === '/auth/user');
    const accountId = JSON.parse((await first.locator('body').textContent())!).id as string;
    await first.context().close();
    // The account the first login made sets up TOTP (as it would on its account page).
    const { totp } = server.app.services.mfa;
    const setup = await totp.begin({ id: accountId, username: 'alice' });
    await totp.confirm(accountId, oathtool(setup.secret, server.clock.now()));

    const page = await (await chromium.newContext()).newPage();
    page.setDefaultTimeout(15_000);
    await casLogin(page);
    await page.locator('#totp-code').waitFor();
    expect((await page.context().cookies(server.url)).some((cookie) => cookie.name === 'auth_token')).toBe(false);
    server.clock.advance(STEP);
    await page.locator('#totp-code').fill(oathtool(setup.secret, server.clock.now()));
    await page.locator('#totp-code').press('Enter');
    await page.waitForURL((url) => url.origin === server.url && url.pathname === '/account');
    expect((await page.context().cookies(server.url)).some((cookie) => cookie.name === 'auth_token')).toBe(true);
    await page.context().close();
  });
});
