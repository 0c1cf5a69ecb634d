import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addOidcClient } from './helpers/oidc-clients.js';
import { authorizationRequest, issuedTokenCount } from './helpers/oidc-flow.js';
import { dialects, startServer, type TestServer } from './helpers/server.js';

/**
 * What the authorization endpoint refuses (issue 18 item 6, CONTRACT §5), with raw requests: a redirect URI that is
 * not registered gets an error page and goes nowhere; every other refusal goes back to the client's registered
 * redirect URI as an OAuth error (RFC 6749 §4.1.2.1) with the state — and no code, no token.
 */
describe.each(dialects)('the authorization endpoint refuses bad requests (%s)', (dialect) => {
  let server: TestServer;
  const app = 'http://127.0.0.1:9/cb';

  beforeAll(async () => {
    server = await startServer(dialect);
    await addOidcClient(server, 'app', { redirectUris: [app, 'http://127.0.0.1:9/other'] }, 'app-secret-0123456789abcdef-0123456789');
    await addOidcClient(server, 'spa', { redirectUris: [app], tokenEndpointAuthMethod: 'none' });
  });
  afterAll(async () => server?.close());

  /** GETs the authorization URL without following redirects (no browser session: a fresh visitor). */
  const visit = async (url: URL) => {
    const response = await fetch(url, { redirect: 'manual' });
    return { status: response.status, location: response.headers.get('location'), type: response.headers.get('content-type') ?? '', body: await response.text() };
  };

  /** The refusal as the client receives it at its redirect URI; asserts it went there, with the state and no code. */
  const refusedToClient = async (extra: Record<string, string>, clientId = 'app') => {
    const before = await issuedTokenCount(server);
    const request = authorizationRequest(server, clientId, app, extra);
    const answer = await visit(request.url);
    expect(answer.status).toBe(303);
    const back = new URL(answer.location!);
    expect(`${back.origin}${back.pathname}`).toBe(app);
    expect(back.searchParams.get('state')).toBe(request.state);
    // RFC 9207: the issuer comes along, so a client talking to several providers knows who answered.
    expect(back.searchParams.get('iss')).toBe(server.url);
    expect(back.searchParams.has('code')).toBe(false);
    expect(await issuedTokenCount(server)).toBe(before);
    return back.searchParams;
  };

  it('a redirect_uri that is not registered: an error page on Gatehouse, no redirect anywhere', async () => {
    for (const redirectUri of ['https://evil.example/cb', `${app}/`, `${app}?x=1`, 'http://127.0.0.1:9/CB']) {
      const answer = await visit(authorizationRequest(server, 'app', redirectUri).url);
      expect(answer.status, redirectUri).toBe(400);
      expect(answer.location, redirectUri).toBeNull();
      expect(answer.type).toContain('text/html');
      expect(answer.body).toContain('redirect_uri');
      expect(answer.body).not.toContain('evil.example/cb?');
    }
  });

  it('an unknown client: an error page, no redirect', async () => {
    const answer = await visit(authorizationRequest(server, 'nobody', app).url);
    expect(answer.status).toBe(400);
    expect(answer.location).toBeNull();
    expect(answer.body).toContain('invalid_client');
  });

  it('code_challenge_method=plain is refused (S256 only)', async () => {
    const request = authorizationRequest(server, 'app', app);
    const refused = await refusedToClient({ code_challenge: request.verifier, code_challenge_method: 'plain' });
    expect(refused.get('error')).toBe('invalid_request');
    expect(refused.get('error_description')).toContain('code_challenge_method');
  });

  it('a public client without PKCE is refused; so is a confidential one (PKCE is required of every client)', async () => {
    for (const clientId of ['spa', 'app']) {
      const refused = await refusedToClient({ code_challenge: '', code_challenge_method: '' }, clientId);
      expect(refused.get('error'), clientId).toBe('invalid_request');
      expect(refused.get('error_description'), clientId).toContain('PKCE');
    }
  });

  it('an unknown scope goes back as invalid_scope; so does one the client is not allowed', async () => {
    for (const scope of ['openid email launch:missiles', 'openid roles']) {
      const refused = await refusedToClient({ scope });
      expect(refused.get('error'), scope).toBe('invalid_scope');
    }
  });

  it('prompt=none without a session goes back as login_required', async () => {
    const refused = await refusedToClient({ prompt: 'none' });
    expect(refused.get('error')).toBe('login_required');
  });

  it('response_type token (implicit) is refused: code only (the refusal in the fragment, as implicit answers go)', async () => {
    const request = authorizationRequest(server, 'app', app, { response_type: 'token' });
    const answer = await visit(request.url);
    expect(answer.status).toBe(303);
    const back = new URL(answer.location!);
    expect(`${back.origin}${back.pathname}`).toBe(app);
    const fragment = new URLSearchParams(back.hash.slice(1));
    expect(fragment.get('error')).toBe('unsupported_response_type');
    expect(fragment.has('access_token')).toBe(false);
  });

  it('an interaction that is over (expired, finished, or begun in another browser) is a 404 that says to start again, not a 500', async () => {
    const gone = '/oidc/interaction/AbCdEfGhIjKlMnOpQrStU';
    const page = await server.request('GET', gone, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).toContain('This sign-in expired, was already finished, or was begun in another browser.');
    const problem = await server.request('GET', gone);
    expect(problem.status).toBe(404);
    expect(problem.body).toMatchObject({ code: 'not-found', detail: expect.stringContaining('go back to the app and sign in again'), errors: [{ field: 'uid' }] });
  });
});
