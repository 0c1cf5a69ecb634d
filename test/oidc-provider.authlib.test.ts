import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAuthlib, type AuthlibTokenAnswer } from './helpers/authlib-python.js';
import { launchChromium } from './helpers/chromium.js';
import { addOidcClient, startRelyingParty, type RelyingParty } from './helpers/oidc-clients.js';
import { backAtRelyingParty, submitHostedLogin } from './helpers/oidc-flow.js';
import { dialects, registerAndLogin, startServer, type TestServer } from './helpers/server.js';
import { closeAll } from './helpers/close-all.js';

/**
 * Gatehouse as an OpenID provider for Debian's python3-authlib, unmodified (issue 18 item 6): client credentials with
 * `client_secret_basic` and with `private_key_jwt` (authlib signs the assertion with an RSA key the test made; the
 * client is registered with its public JWK), authlib's own JOSE check of the RFC 9068 access token against the
 * provider's JWKS, and a code flow whose refresh token authlib revokes (the login walked in Chromium).
 */
const secret = 'authlib-secret-0123456789abcdef-0123456789';

/** An RSA key pair for `private_key_jwt`: the private half (PEM) for authlib, the public JWK for the registration. */
function rsaClientKey(kid: string): { pem: string; jwk: Record<string, unknown>; key: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }, key: privateKey };
}

let chromium: Browser;
beforeAll(async () => {
  chromium = await launchChromium();
});
afterAll(async () => chromium?.close());

describe.each(dialects)('python3-authlib against Gatehouse as OpenID provider (%s)', (dialect) => {
  let server: TestServer;
  let rp: RelyingParty;
  const registered = rsaClientKey('authlib-1');
  const stranger = rsaClientKey('authlib-1');

  beforeAll(async () => {
    rp = await startRelyingParty('127.0.0.1');
    server = await startServer(dialect, { host: '127.0.0.3' });
    await addOidcClient(server, 'svc', { redirectUris: [], grantTypes: ['client_credentials'], scopes: ['orders:read', 'orders:write'] }, secret);
    await addOidcClient(server, 'signed', {
      redirectUris: [], grantTypes: ['client_credentials'], scopes: ['orders:read'],
      tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [registered.jwk as never] },
    });
    await addOidcClient(server, 'webapp', { redirectUris: [`${rp.origin}/cb`], firstParty: true }, secret);
  });
  afterAll(async () => closeAll(server, rp));

  it('client_secret_basic: an RFC 9068 access token for the client that authlib verifies against the JWKS', async () => {
    const answer = await runAuthlib<AuthlibTokenAnswer>(server.url, 'client_credentials', { clientId: 'svc', secret, scope: 'orders:read', verify: true });
    expect(answer.error).toBeUndefined();
    expect(answer.token).toMatchObject({ token_type: 'Bearer', scope: 'orders:read' });
    expect(answer.token!.refresh_token).toBeUndefined();
    expect(answer.verified!.header).toMatchObject({ typ: 'at+jwt', alg: 'RS256' });
    expect(answer.verified!.claims).toMatchObject({ iss: server.url, aud: 'svc', sub: 'svc', client_id: 'svc', scope: 'orders:read' });
  });

  it('client_secret_basic: a wrong secret is invalid_client, a scope the client is not allowed invalid_scope; no token', async () => {
    const wrong = await runAuthlib<AuthlibTokenAnswer>(server.url, 'client_credentials', { clientId: 'svc', secret: `${secret}x`, scope: 'orders:read' });
    expect(wrong.error).toBe('invalid_client');
    const scope = await runAuthlib<AuthlibTokenAnswer>(server.url, 'client_credentials', { clientId: 'svc', secret, scope: 'admin:all' });
    expect(scope.error).toBe('invalid_scope');
    // JWT access tokens are not stored (they are checked where they are used), so the answers are what to look at.
    expect([wrong.token, scope.token]).toEqual([undefined, undefined]);
  });

  it('private_key_jwt: authlib signs the client assertion with the registered key and gets a token', async () => {
    const answer = await runAuthlib<AuthlibTokenAnswer>(server.url, 'private_key_jwt', { clientId: 'signed', privateKey: registered.pem, scope: 'orders:read' });
    expect(answer.error).toBeUndefined();
    expect(answer.verified!.claims).toMatchObject({ aud: 'signed', sub: 'signed', scope: 'orders:read' });
  });

  it('private_key_jwt: an assertion signed by another key (same kid) is invalid_client; no token', async () => {
    const answer = await runAuthlib<AuthlibTokenAnswer>(server.url, 'private_key_jwt', { clientId: 'signed', privateKey: stranger.pem, scope: 'orders:read' });
    expect(answer.error).toBe('invalid_client');
    expect(answer.token).toBeUndefined();
  });

  it('private_key_jwt: one assertion presented twice is refused the second time (its jti is remembered)', async () => {
    const answer = await runAuthlib<{ answers: Array<{ status: number; body: Record<string, string> }> }>(server.url, 'replayed_assertion', { clientId: 'signed', privateKey: registered.pem, scope: 'orders:read' });
    expect(answer.answers[0]!.status).toBe(200);
    expect(answer.answers[0]!.body.access_token).toBeTruthy();
    expect(answer.answers[1]!.status).toBe(401);
    expect(answer.answers[1]!.body).toMatchObject({ error: 'invalid_client' });
    expect(answer.answers[1]!.body.access_token).toBeUndefined();
  });

  it('code flow: authlib exchanges the code with PKCE, checks the ID token, revokes the refresh token (introspection then inactive)', async () => {
    const email = `authlib-${dialect}@example.com`;
    const { userId } = await registerAndLogin(server, email);
    const code = { clientId: 'webapp', secret, scope: 'openid email', redirectUri: `${rp.origin}/cb` };
    const request = await runAuthlib<{ url: string; state: string; verifier: string; nonce: string }>(server.url, 'authorization_url', code);
    expect(new URL(request.url).searchParams.get('code_challenge_method')).toBe('S256');

    const page: Page = await (await chromium.newContext()).newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(request.url);
    await submitHostedLogin(page, email);
    const callback = await backAtRelyingParty(page, rp);
    await page.context().close();

    const result = await runAuthlib<Record<string, any>>(server.url, 'exchange_and_revoke', { ...code, callback: callback.href, state: request.state, verifier: request.verifier, nonce: request.nonce });
    expect(result.idToken).toMatchObject({ iss: server.url, aud: 'webapp', sub: userId, nonce: request.nonce, email });
    expect(result.before).toMatchObject({ active: true, client_id: 'webapp', sub: userId });
    expect(result.revocationStatus).toBe(200);
    expect(result.after).toEqual({ active: false });
    expect(result.refreshAfterRevocation).toMatchObject({ error: 'invalid_grant' });
  });
});
