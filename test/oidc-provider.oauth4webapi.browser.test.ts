import type { Browser, Page } from 'playwright-core';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './helpers/chromium.js';
import { addOidcClient, startRelyingParty, type RelyingParty } from './helpers/oidc-clients.js';
import { backAtRelyingParty, submitHostedLogin } from './helpers/oidc-flow.js';
import { dialects, registerAndLogin, startServer, type TestServer } from './helpers/server.js';
import { closeAll } from './helpers/close-all.js';

/**
 * Gatehouse as an OpenID provider, driven by oauth4webapi 3 — a relying-party library we did not write, unmodified
 * (issue 18 item 6), and a stricter one than openid-client about what it accepts: discovery → authorization (the hosted
 * login walked in Chromium, Gatehouse on 127.0.0.3 as an IdP is to its apps) → code exchange with PKCE → ID token
 * validation (claims and signature against the shared JWKS) → UserInfo → refresh → introspection → revocation →
 * introspection (inactive) → RP-initiated logout.
 */
describe.each(dialects)('oauth4webapi against Gatehouse as OpenID provider (%s, Chromium)', (dialect) => {
  let server: TestServer;
  let rp: RelyingParty;
  let chromium: Browser;
  let page: Page;
  let as: oauth.AuthorizationServer;
  const client: oauth.Client = { client_id: 'rp4' };
  const clientAuth = oauth.ClientSecretBasic('rp4-secret-0123456789abcdef-0123456789');
  const insecure = { [oauth.allowInsecureRequests]: true };
  const email = `oauth4-${dialect}@example.com`;
  let accountId = '';
  let redirectUri = '';

  beforeAll(async () => {
    rp = await startRelyingParty('127.0.0.1');
    redirectUri = `${rp.origin}/cb`;
    server = await startServer(dialect, { host: '127.0.0.3' });
    await addOidcClient(server, 'rp4', { redirectUris: [redirectUri], postLogoutRedirectUris: [`${rp.origin}/bye`] }, 'rp4-secret-0123456789abcdef-0123456789');
    accountId = (await registerAndLogin(server, email)).userId;
    const issuer = new URL(server.url);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }));
    chromium = await launchChromium();
    page = await (await chromium.newContext()).newPage();
    page.setDefaultTimeout(10_000);
  });

  afterAll(async () => closeAll(chromium, server, rp));

  it('discovery: RFC 8414 names the same issuer and endpoints as OpenID discovery', async () => {
    const issuer = new URL(server.url);
    const rfc8414 = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
    expect(rfc8414).toEqual(as);
    expect(as.code_challenge_methods_supported).toEqual(['S256']);
    expect(as.introspection_endpoint).toBe(`${server.url}/oidc/token/introspection`);
    expect(as.revocation_endpoint).toBe(`${server.url}/oidc/token/revocation`);
    expect(as.end_session_endpoint).toBe(`${server.url}/oidc/session/end`);
  });

  it('signs in, exchanges the code with PKCE, validates the ID token, reads UserInfo, refreshes, introspects, revokes and logs out', async () => {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const authorize = new URL(as.authorization_endpoint!);
    for (const [name, value] of Object.entries({
      client_id: client.client_id, redirect_uri: redirectUri, response_type: 'code', scope: 'openid email profile offline_access',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, nonce,
    })) authorize.searchParams.set(name, value);

    await page.goto(authorize.href);
    await submitHostedLogin(page, email);
    await page.waitForURL(/\/oidc\/interaction\//);
    await page.click('button[value=allow]');
    const callback = oauth.validateAuthResponse(as, client, await backAtRelyingParty(page, rp), state);

    const exchange = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, callback, redirectUri, verifier, insecure);
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, exchange, { expectedNonce: nonce, requireIdToken: true });
    // Signature too (oauth4webapi leaves it to the caller on a direct TLS answer): RS256 by a key of the shared JWKS.
    await oauth.validateApplicationLevelSignature(as, exchange, insecure);
    const claims = oauth.getValidatedIdTokenClaims(tokens)!;
    expect(claims).toMatchObject({ iss: server.url, aud: 'rp4', sub: accountId, nonce, email, amr: ['pwd'], acr: 'urn:gatehouse:loa:1' });
    expect(claims.auth_time).toBeTypeOf('number');
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    // OIDC Core §11: offline_access counts only with prompt=consent; the refresh token comes from the client's grant types.
    expect(tokens.scope?.split(' ').sort()).toEqual(['email', 'openid', 'profile']);
    expect(tokens.refresh_token).toBeTruthy();

    const info = await oauth.processUserInfoResponse(as, client, accountId, await oauth.userInfoRequest(as, client, tokens.access_token, insecure));
    expect(info).toMatchObject({ sub: accountId, email, email_verified: true });

    // The sign-in's access token is an opaque reference (no resource named), so introspection knows it.
    expect(await introspect(tokens.access_token)).toMatchObject({ active: true, client_id: 'rp4', sub: accountId });

    const refreshed = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token!, insecure));
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(oauth.getValidatedIdTokenClaims(refreshed)?.sub).toBe(accountId);

    expect(await introspect(refreshed.refresh_token!)).toMatchObject({ active: true, client_id: 'rp4', sub: accountId });
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, clientAuth, refreshed.refresh_token!, insecure));
    expect(await introspect(refreshed.refresh_token!)).toEqual({ active: false });
    // A revoked refresh token refreshes nothing any more.
    await expect(oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshed.refresh_token!, insecure)))
      .rejects.toMatchObject({ error: 'invalid_grant' });

    const logout = new URL(as.end_session_endpoint!);
    logout.searchParams.set('id_token_hint', tokens.id_token!);
    logout.searchParams.set('post_logout_redirect_uri', `${rp.origin}/bye`);
    logout.searchParams.set('state', 'bye-state');
    await page.goto(logout.href);
    await page.click('button[value=yes]');
    const bye = await backAtRelyingParty(page, rp);
    expect(bye.pathname).toBe('/bye');
    expect(bye.searchParams.get('state')).toBe('bye-state');

    // The provider's session is over: a silent request finds nobody signed in (the browser is back at the client).
    const silent = new URL(authorize);
    silent.searchParams.set('prompt', 'none');
    await page.goto(silent.href);
    const refused = await backAtRelyingParty(page, rp);
    expect(refused.searchParams.get('error')).toBe('login_required');
    // The Gatehouse session is over too (CONTRACT §5): a request that may ask gets the hosted login again.
    const again = new URL(authorize);
    again.searchParams.set('state', oauth.generateRandomState());
    await page.goto(again.href);
    await page.waitForURL(/\/auth\/login\?/);
  });

  async function introspect(token: string): Promise<oauth.IntrospectionResponse> {
    return oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, clientAuth, token, insecure));
  }
});
