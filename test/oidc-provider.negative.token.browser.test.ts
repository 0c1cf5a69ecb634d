import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './helpers/chromium.js';
import { addOidcClient, startRelyingParty, type RelyingParty } from './helpers/oidc-clients.js';
import {
  authorizationRequest, backAtRelyingParty, exchangeCode, isActive, issuedTokenCount, postToProvider, submitHostedLogin,
  type AuthorizationRequest,
} from './helpers/oidc-flow.js';
import { dialects, registerAndLogin, startServer, type TestServer } from './helpers/server.js';
import { closeAll } from './helpers/close-all.js';

/**
 * What the token endpoint refuses (issue 18 item 6, CONTRACT §5), with raw requests and real codes: the person signs
 * in once in Chromium, and every later code comes by single sign-on. Each refusal is an OAuth error (RFC 6749 §5.2)
 * and issues nothing; a replayed code or a reused refresh token also revokes what its grant had issued (RFC 6819
 * §4.4.1.1, OAuth 2.1 §4.3.1). Both dialects: the once-only use of codes and refresh tokens is the adapter's SQL.
 */
describe.each(dialects)('the token endpoint refuses bad exchanges (%s, Chromium)', (dialect) => {
  let server: TestServer;
  let rp: RelyingParty;
  let chromium: Browser;
  let page: Page;
  const app = { id: 'app', secret: 'app-secret-0123456789abcdef-0123456789' };
  const other = { id: 'other', secret: 'other-secret-0123456789abcdef-012345' };
  let redirectUri = '';

  beforeAll(async () => {
    rp = await startRelyingParty('127.0.0.1');
    redirectUri = `${rp.origin}/cb`;
    server = await startServer(dialect, { host: '127.0.0.3' });
    await addOidcClient(server, app.id, { redirectUris: [redirectUri, `${rp.origin}/cb2`], firstParty: true }, app.secret);
    await addOidcClient(server, other.id, { redirectUris: [redirectUri], firstParty: true }, other.secret);
    await addOidcClient(server, 'spa', { redirectUris: [redirectUri], firstParty: true, tokenEndpointAuthMethod: 'none' });
    const email = `negative-${dialect}@example.com`;
    await registerAndLogin(server, email);
    chromium = await launchChromium();
    page = await (await chromium.newContext()).newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(authorizationRequest(server, app.id, redirectUri).url.href);
    await submitHostedLogin(page, email);
    await backAtRelyingParty(page, rp);
  });

  afterAll(async () => closeAll(chromium, server, rp));

  /** A fresh code for `app` by single sign-on (no page of ours shown). */
  const freshCode = async (extra: Record<string, string> = {}): Promise<{ request: AuthorizationRequest; callback: URL }> => {
    const request = authorizationRequest(server, app.id, extra.redirect_uri ?? redirectUri, extra);
    await page.goto(request.url.href);
    const callback = await backAtRelyingParty(page, rp);
    expect(callback.searchParams.get('code'), callback.href).toBeTruthy();
    return { request, callback };
  };

  /** Asserts an OAuth error answer with no token in it, and that the provider holds no more tokens than before. */
  const refused = async (answer: { status: number; body: Record<string, any> }, error: string, tokensBefore: number) => {
    expect(answer.body.error, JSON.stringify(answer.body)).toBe(error);
    expect(answer.status).toBe(error === 'invalid_client' ? 401 : 400);
    expect(answer.body.access_token).toBeUndefined();
    expect(await issuedTokenCount(server)).toBe(tokensBefore);
  };

  it('a replayed code is invalid_grant, and what the first exchange issued is revoked', async () => {
    const { request, callback } = await freshCode();
    const first = await exchangeCode(server, request, callback, app);
    expect(first.status).toBe(200);
    expect(await isActive(server, first.body.refresh_token, app)).toBe(true);
    expect(await isActive(server, first.body.access_token, app)).toBe(true);

    const second = await exchangeCode(server, request, callback, app);
    expect(second.status).toBe(400);
    expect(second.body.error).toBe('invalid_grant');
    expect(second.body.access_token).toBeUndefined();
    expect(await isActive(server, first.body.refresh_token, app)).toBe(false);
    expect(await isActive(server, first.body.access_token, app)).toBe(false);
    const refresh = await postToProvider(server, '/oidc/token', { grant_type: 'refresh_token', refresh_token: first.body.refresh_token }, app);
    expect(refresh.body.error).toBe('invalid_grant');
  });

  it('a redirect_uri other than the authorization request\'s (though registered) is invalid_grant; nothing issued', async () => {
    const { request, callback } = await freshCode();
    const before = await issuedTokenCount(server);
    await refused(await exchangeCode(server, request, callback, app, { redirect_uri: `${rp.origin}/cb2` }), 'invalid_grant', before);
    await refused(await exchangeCode(server, request, callback, app, { redirect_uri: undefined }), 'invalid_request', before);
  });

  it('a wrong or missing code_verifier is invalid_grant; nothing issued', async () => {
    const { request, callback } = await freshCode();
    const before = await issuedTokenCount(server);
    await refused(await exchangeCode(server, request, callback, app, { code_verifier: 'x'.repeat(43) }), 'invalid_grant', before);
    await refused(await exchangeCode(server, request, callback, app, { code_verifier: undefined }), 'invalid_grant', before);
  });

  it('a wrong client secret is invalid_client and burns nothing: the right secret then exchanges the code', async () => {
    const { request, callback } = await freshCode();
    const before = await issuedTokenCount(server);
    await refused(await exchangeCode(server, request, callback, { id: app.id, secret: `${app.secret}x` }), 'invalid_client', before);
    await refused(await exchangeCode(server, request, callback, { id: 'nobody', secret: app.secret }), 'invalid_client', before);
    expect((await exchangeCode(server, request, callback, app)).status).toBe(200);
  });

  it('a code issued to one client is invalid_grant for another; nothing issued', async () => {
    const { request, callback } = await freshCode();
    const before = await issuedTokenCount(server);
    await refused(await exchangeCode(server, request, callback, other), 'invalid_grant', before);
  });

  it('an expired code (past its 60 s on the server clock) is invalid_grant; nothing issued', async () => {
    const { request, callback } = await freshCode();
    const before = await issuedTokenCount(server);
    server.clock.advance(61_000);
    await refused(await exchangeCode(server, request, callback, app), 'invalid_grant', before);
  });

  it('a reused refresh token is invalid_grant and revokes the grant: the newer refresh token stops working too', async () => {
    const { request, callback } = await freshCode();
    const tokens = (await exchangeCode(server, request, callback, app)).body;
    const refresh = (token: string) => postToProvider(server, '/oidc/token', { grant_type: 'refresh_token', refresh_token: token }, app);
    const rotated = await refresh(tokens.refresh_token);
    expect(rotated.status).toBe(200);
    expect(rotated.body.refresh_token).not.toBe(tokens.refresh_token);

    const reused = await refresh(tokens.refresh_token);
    expect(reused.status).toBe(400);
    expect(reused.body.error).toBe('invalid_grant');
    expect(reused.body.access_token).toBeUndefined();
    expect(await isActive(server, rotated.body.refresh_token, app)).toBe(false);
    expect(await isActive(server, rotated.body.access_token, app)).toBe(false);
    expect((await refresh(rotated.body.refresh_token)).body.error).toBe('invalid_grant');
  });

  it('a refresh token is refreshed only by its own client, and revoked only by it (RFC 7009 §2.1; a public client is told nothing), introspected only by clients that authenticate', async () => {
    const { request, callback } = await freshCode();
    const tokens = (await exchangeCode(server, request, callback, app)).body;
    const before = await issuedTokenCount(server);
    await refused(await postToProvider(server, '/oidc/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, other), 'invalid_grant', before);
    const revoke = await postToProvider(server, '/oidc/token/revocation', { token: tokens.refresh_token }, other);
    expect(revoke).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await isActive(server, tokens.refresh_token, app)).toBe(true);
    // A public client is answered as if it were done (it cannot probe which tokens exist), and nothing is revoked.
    const fromPublic = await fetch(new URL('/oidc/token/revocation', server.url), {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: tokens.refresh_token, client_id: 'spa' }),
    });
    expect(fromPublic.status).toBe(200);
    expect(await isActive(server, tokens.refresh_token, app)).toBe(true);
    // Introspection is for clients that authenticate (CONTRACT §5): a public client is refused whatever the token.
    for (const token of [tokens.refresh_token, tokens.access_token, 'no-such-token']) {
      expect(await postToProvider(server, '/oidc/token/introspection', { token, client_id: 'spa' })).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    }
  });
});
