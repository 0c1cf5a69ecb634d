import type { Browser, Page } from 'playwright-core';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from './helpers/chromium.js';
import { addOidcClient, startRelyingParty, type RelyingParty } from './helpers/oidc-clients.js';
import { dialects, goodPassword, registerAndLogin, startServer, type TestServer } from './helpers/server.js';
import { closeAll } from './helpers/close-all.js';

/**
 * Gatehouse as an OpenID provider, driven by openid-client 6 — a certified relying-party library we did not write,
 * unmodified (issue 18 item 6): discovery → authorization (the hosted login walked in Chromium, Gatehouse on a
 * loopback address of its own, 127.0.0.3, as an IdP is to its apps) → code exchange with PKCE → ID token validation →
 * UserInfo → refresh → introspection → revocation → introspection (inactive) → RP-initiated logout.
 */
describe.each(dialects)('openid-client against Gatehouse as OpenID provider (%s, Chromium)', (dialect) => {
  let server: TestServer;
  let rp: RelyingParty;
  let chromium: Browser;
  let page: Page;
  let config: client.Configuration;
  const secret = 'rp-secret-0123456789abcdef-0123456789';
  const email = `oidc-${dialect}@example.com`;
  let accountId = '';

  beforeAll(async () => {
    rp = await startRelyingParty('127.0.0.1');
    server = await startServer(dialect, { host: '127.0.0.3', config: { signup: { enabled: true } } });
    await addOidcClient(server, 'rp', { redirectUris: [`${rp.origin}/cb`], postLogoutRedirectUris: [`${rp.origin}/bye`] }, secret);
    accountId = (await registerAndLogin(server, email)).userId;
    config = await client.discovery(new URL(server.url), 'rp', secret, undefined, { execute: [client.allowInsecureRequests] });
    chromium = await launchChromium();
    page = await (await chromium.newContext()).newPage();
  });

  afterAll(async () => closeAll(chromium, server, rp));

  it('discovery names the issuer, S256 PKCE only, the shared JWKS and RS256 ID tokens', () => {
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(server.url);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.jwks_uri).toBe(`${server.url}/.well-known/jwks.json`);
    expect(metadata.id_token_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS256', 'RS512', 'ES256']));
  });

  it('signs in on the hosted login, exchanges the code, validates the ID token, reads UserInfo, refreshes, introspects, revokes and logs out', async () => {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const authorizationUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: `${rp.origin}/cb`, scope: 'openid email profile offline_access', prompt: 'consent',
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, nonce,
    });
    await page.goto(authorizationUrl.href);
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', goodPassword);
    await page.click('form[action^="/auth/login"] button[type=submit]');
    await page.waitForURL(/\/oidc\/interaction\//);
    await screenshot(page, `oidc-consent-${dialect}`);
    await page.click('button[value=allow]');
    await page.waitForURL(`${rp.origin}/cb?**`);

    const tokens = await client.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(accountId);
    expect(claims.iss).toBe(server.url);
    expect(claims.aud).toBe('rp');
    expect(claims.email).toBe(email);
    expect(claims.amr).toEqual(['pwd']);
    expect(typeof claims.auth_time).toBe('number');

    const info = await client.fetchUserInfo(config, tokens.access_token, accountId);
    expect(info.email).toBe(email);

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect((await client.tokenIntrospection(config, refreshed.refresh_token!)).active).toBe(true);
    await client.tokenRevocation(config, refreshed.refresh_token!);
    expect((await client.tokenIntrospection(config, refreshed.refresh_token!)).active).toBe(false);

    await page.goto(`${server.url}/auth/user`);
    expect(JSON.parse(await page.locator('body').innerText()).id).toBe(accountId);
    const logout = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: `${rp.origin}/bye`, state: 'bye-state' });
    await page.goto(logout.href);
    expect(await page.locator('h1').innerText()).toBe('Sign out?');
    await page.click('button[name=logout]');
    await page.waitForURL(`${rp.origin}/bye?**`);
    expect(new URL(page.url()).searchParams.get('state')).toBe('bye-state');
    // RP-initiated logout ends the Gatehouse session too (CONTRACT §5).
    await page.goto(`${server.url}/auth/user`);
    expect(JSON.parse(await page.locator('body').innerText()).id).toBe('_guest');
  });
});
