import { createServer, type Server } from 'node:http';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './helpers/chromium.js';
import { addOidcClient, startRelyingParty, type RelyingParty } from './helpers/oidc-clients.js';
import { startTwoProviderNodes } from './helpers/oidc-flow.js';
import { createTestDatabase, goodPassword, registerAndLogin, type TestDatabase, type TestServer } from './helpers/server.js';

/** A back-channel logout receiver (OIDC Back-Channel Logout 1.0): remembers each `logout_token` posted to it. */
async function startLogoutReceiver(): Promise<{ url: string; tokens: string[]; server: Server }> {
  const tokens: string[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token');
      if (token) tokens.push(token);
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/backchannel`, tokens, server };
}

/**
 * Ending a Gatehouse session ends what the provider made in it (CONTRACT §5), on every node: two nodes on one
 * PostgreSQL database (one issuer, as behind a load balancer); the person signs in for an app through node A in
 * Chromium; a password change through node B ends that browser session — node A then refuses the app's refresh token,
 * and the app gets a back-channel logout token for the session it knew.
 */
describe('a Gatehouse session ended on one node ends the provider grants made in it (postgres, two nodes, Chromium)', () => {
  let database: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  let rp: RelyingParty;
  let receiver: Awaited<ReturnType<typeof startLogoutReceiver>>;
  let chromium: Browser;
  let page: Page;
  let config: client.Configuration;
  const secret = 'rp-secret-0123456789abcdef-0123456789';
  const email = 'oidc-end@example.com';

  beforeAll(async () => {
    [rp, receiver, database] = await Promise.all([startRelyingParty('127.0.0.1'), startLogoutReceiver(), createTestDatabase('postgres')]);
    [a, b] = await startTwoProviderNodes(database, { signup: { enabled: true } });
    await addOidcClient(a, 'rp', { redirectUris: [`${rp.origin}/cb`], backchannelLogoutUri: receiver.url, firstParty: true }, secret);
    await registerAndLogin(a, email);
    config = await client.discovery(new URL(a.url), 'rp', secret, undefined, { execute: [client.allowInsecureRequests] });
    chromium = await launchChromium();
    page = await (await chromium.newContext()).newPage();
  });

  afterAll(async () => {
    await chromium?.close();
    await b?.close();
    await a?.close();
    await database?.drop();
    await rp?.close();
    receiver?.server.close();
  });

  it('refuses the refresh token on node A once node B ended the session, and logs the app out by back channel', async () => {
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: `${rp.origin}/cb`, scope: 'openid email', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    await page.goto(url.href);
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', goodPassword);
    await page.click('form[action^="/auth/login"] button[type=submit]');
    await page.waitForURL(`${rp.origin}/cb?**`);
    const tokens = await client.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: verifier, idTokenExpected: true });
    const sid = tokens.claims()!.sid;
    expect(typeof sid).toBe('string');
    expect((await client.tokenIntrospection(config, tokens.refresh_token!)).active).toBe(true);

    // The person changes the password through node B, from another sign-in: every other session ends (seed 004).
    const login = await b.request('POST', '/api/auth/login', { json: { email, password: goodPassword } });
    const changed = await b.request('PUT', '/api/auth/account', { token: login.body.accessToken, json: { currentPassword: goodPassword, password: 'Another-Horse-43' } });
    expect(changed.status).toBe(204);

    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await client.tokenIntrospection(config, tokens.refresh_token!)).active).toBe(false);
    await expect.poll(() => receiver.tokens.length, { timeout: 5000 }).toBe(1);
    const logoutToken = decodeJwt(receiver.tokens[0]!);
    expect(logoutToken).toMatchObject({ aud: 'rp', iss: a.url, sid });
    expect(logoutToken.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });

    // Single sign-on is over too: the next authorization asks for the password again.
    await page.goto(client.buildAuthorizationUrl(config, {
      redirect_uri: `${rp.origin}/cb`, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    }).href);
    await page.waitForURL(/\/auth\/login\?/);
  });
});
