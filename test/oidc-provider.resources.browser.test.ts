import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as client from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from './helpers/chromium.js';
import { closeAll } from './helpers/close-all.js';
import { verifyWithPyJwt } from './helpers/jwt-python.js';
import { addOidcClient, startRelyingParty, type RelyingParty } from './helpers/oidc-clients.js';
import { dialects, goodPassword, registerAndLogin, startServer, type TestServer } from './helpers/server.js';

/**
 * A person signs in to an app that calls its API (`oidc.resources`, RFC 8707 + RFC 9068), driven by openid-client 6
 * in Chromium: the authorization request names the API, the consent page lists the API's scope, the code exchange
 * and every refresh that name it again get an at+jwt for the API (`aud` the indicator, `sub` the person), checked by
 * jose and PyJWT; without `resource` the access token stays the UserInfo one.
 */
const ORDERS = 'https://orders.example.com/api';
const BILLING = 'https://billing.example.com';
const resources = [
  { indicator: ORDERS, name: 'Orders', scopes: ['orders:read', 'orders:write'], clients: ['rp'] },
  { indicator: BILLING, scopes: ['invoices:read'], clients: ['other'] },
];

describe.each(dialects)('an app gets JWT access tokens for its API through a sign-in (%s, Chromium)', (dialect) => {
  let server: TestServer;
  let rp: RelyingParty;
  let chromium: Browser;
  let page: Page;
  let config: client.Configuration;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  const secret = 'rp-secret-0123456789abcdef-0123456789';
  const email = `resources-${dialect}@example.com`;
  let accountId = '';

  beforeAll(async () => {
    rp = await startRelyingParty('127.0.0.1');
    server = await startServer(dialect, { host: '127.0.0.3', config: { signup: { enabled: true }, oidc: { resources } } });
    await addOidcClient(server, 'rp', { redirectUris: [`${rp.origin}/cb`] }, secret);
    accountId = (await registerAndLogin(server, email)).userId;
    config = await client.discovery(new URL(server.url), 'rp', secret, undefined, { execute: [client.allowInsecureRequests] });
    jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    chromium = await launchChromium();
    page = await (await chromium.newContext()).newPage();
  });
  afterAll(async () => closeAll(chromium, server, rp));

  /** One authorization naming the API, walked in the browser; answers what the code exchange needs. */
  async function signIn(scope: string, extra: Record<string, string> = {}) {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    // A nonce only with openid (node-oidc-provider refuses one without it).
    const nonce = scope.split(' ').includes('openid') ? client.randomNonce() : undefined;
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: `${rp.origin}/cb`, scope, resource: ORDERS, state, ...(nonce ? { nonce } : {}),
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra,
    });
    await page.goto(url.href);
    return { checks: { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce }, state };
  }

  async function verifiedForOrders(token: string) {
    expect(decodeProtectedHeader(token)).toMatchObject({ typ: 'at+jwt', alg: 'RS256' });
    return (await jwtVerify(token, jwks, { issuer: server.url, audience: ORDERS, typ: 'at+jwt' })).payload;
  }

  it('consent lists the API’s scope; code exchange and refresh with resource= give the API’s at+jwt; the ID token as ever', async () => {
    const { checks } = await signIn('openid email offline_access orders:read', { prompt: 'consent' });
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', goodPassword);
    await page.click('form[action^="/auth/login"] button[type=submit]');
    await page.waitForURL(/\/oidc\/interaction\//);
    const items = await page.locator('main li, body li').allInnerTexts();
    expect(items).toContain(`the permission “orders:read” at ${ORDERS}`);
    expect(items.join('\n')).not.toContain('orders:write');
    await screenshot(page, `oidc-consent-api-${dialect}`);
    await page.click('button[value=allow]');
    await page.waitForURL(`${rp.origin}/cb?**`);

    const tokens = await client.authorizationCodeGrant(config, new URL(page.url()), checks, { resource: ORDERS });
    expect(tokens.claims()).toMatchObject({ sub: accountId, aud: 'rp', email });
    const payload = await verifiedForOrders(tokens.access_token);
    expect(payload).toMatchObject({ aud: ORDERS, sub: accountId, client_id: 'rp', scope: 'orders:read' });
    expect(tokens.scope?.split(' ')).toContain('orders:read');
    const jwksBody = await (await fetch(`${server.url}/.well-known/jwks.json`)).json() as { keys: Array<Record<string, unknown>> };
    const py = await verifyWithPyJwt({ token: tokens.access_token, algorithm: 'RS256', issuer: server.url, jwks: jwksBody, audience: ORDERS });
    expect(py.claims).toMatchObject({ aud: ORDERS, sub: accountId, scope: 'orders:read' });
    // The API's token is not the UserInfo one.
    await expect(client.fetchUserInfo(config, tokens.access_token, accountId)).rejects.toMatchObject({ code: 'OAUTH_WWW_AUTHENTICATE_CHALLENGE' });

    // Refresh keeps the resource: the refresh token may ask for the API's token again …
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!, { resource: ORDERS });
    expect(await verifiedForOrders(refreshed.access_token)).toMatchObject({ aud: ORDERS, sub: accountId, scope: 'orders:read' });
    // … or, without resource, for UserInfo (opaque) …
    const plain = await client.refreshTokenGrant(config, refreshed.refresh_token!);
    expect(plain.access_token.split('.')).toHaveLength(1);
    expect((await client.fetchUserInfo(config, plain.access_token, accountId)).email).toBe(email);
    // … but not for an API the sign-in did not name.
    await expect(client.refreshTokenGrant(config, plain.refresh_token!, { resource: BILLING })).rejects.toMatchObject({ error: 'invalid_target' });
  });

  it('a code exchange without resource= keeps the UserInfo token; one naming an API the authorization did not is invalid_target', async () => {
    // SSO: the browser session of the test before; the scope is granted already, so no page is shown.
    const first = await signIn('openid email orders:read');
    await page.waitForURL(`${rp.origin}/cb?**`);
    const plain = await client.authorizationCodeGrant(config, new URL(page.url()), first.checks);
    expect(plain.access_token.split('.')).toHaveLength(1);
    expect((await client.fetchUserInfo(config, plain.access_token, accountId)).email).toBe(email);

    const second = await signIn('openid email orders:read');
    await page.waitForURL(`${rp.origin}/cb?**`);
    await expect(client.authorizationCodeGrant(config, new URL(page.url()), second.checks, { resource: BILLING })).rejects.toMatchObject({ error: 'invalid_target' });
  });

  it('without openid the granted API is the token’s by itself (node-oidc-provider: no UserInfo without openid)', async () => {
    const { checks } = await signIn('orders:read');
    await page.waitForURL(`${rp.origin}/cb?**`);
    const tokens = await client.authorizationCodeGrant(config, new URL(page.url()), checks);
    expect(tokens.id_token).toBeUndefined();
    expect(await verifiedForOrders(tokens.access_token)).toMatchObject({ aud: ORDERS, sub: accountId, scope: 'orders:read' });
  });
});
