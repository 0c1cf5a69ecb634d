import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from './helpers/problems.js';
import { startEchoUpstream, startNginx, type NginxGateway } from './helpers/nginx.js';
import { goodPassword, registerAndLogin, startServer, type Dialect, type TestServer } from './helpers/server.js';
import { runCleanupOnce } from '../src/jobs/cleanup.js';

const unique = (name: string) => `${name}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;

async function verifyInternal(server: TestServer, token: string) {
  const jwks = createLocalJWKSet((await server.request('GET', '/.well-known/jwks.json')).body);
  return jwtVerify(token, jwks, { issuer: server.config.tokens.issuer, currentDate: new Date(server.clock.now()) });
}

describe('GET /api/auth/context (sqlite)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer('sqlite', { config: { gateway: { internalTokenTtl: '30s' } }, env: { GATEHOUSE_ADMIN_PASSWORD: 'bootstrap-pw' } });
  });
  afterAll(async () => server?.close());

  it('answers the UserContext, the gateway headers and an internal token that verifies with the JWKS', async () => {
    const email = unique('ctx');
    const user = await registerAndLogin(server, email);
    const answer = await server.request('GET', '/api/auth/context', { token: user.accessToken });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body).toMatchObject({
      id: user.userId,
      authorization: { type: 'Bearer', accessToken: expect.any(String) },
      user: { id: user.userId, username: email, email, roles: ['user'], groups: [], permissions: expect.any(Array) },
      data: { sessionId: expect.any(String), scope: null },
    });
    expect(answer.headers.get('x-user-id')).toBe(user.userId);
    expect(answer.headers.get('x-user-roles')).toBe('user');
    expect(answer.headers.get('authorization')).toBe(`Bearer ${answer.body.authorization.accessToken}`);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const { payload } = await verifyInternal(server, answer.body.authorization.accessToken);
    expect(payload).toMatchObject({ sub: user.userId, sid: answer.body.data.sessionId, roles: ['user'] });
    expect(payload.exp! - payload.iat!).toBe(30);
    expect(answer.body.authorization.accessToken).not.toBe(user.accessToken);
  });

  it('carries the admin role and the client and scope of the session', async () => {
    const login = await server.request('POST', '/api/auth/login', {
      json: { username: 'admin', password: 'bootstrap-pw', scope: 'read write' },
    });
    expect(login.status, login.text).toBe(200);
    const answer = await server.request('GET', '/api/auth/context', { token: login.body.accessToken });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-user-roles')).toBe('user,sysadmin');
    expect(answer.body.user.roles).toEqual(['user', 'sysadmin']);
    expect(answer.body.data.scope).toBe('read write');
  });

  it('accepts the credential in ?_token too', async () => {
    const user = await registerAndLogin(server, unique('query'));
    const answer = await server.request('GET', `/api/auth/context?_token=${user.accessToken}`);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.headers.get('x-user-id')).toBe(user.userId);
  });

  it('refuses with a 401 and x-error-code: none, malformed, garbage, expired, revoked', async () => {
    expectProblem(await server.request('GET', '/api/auth/context'), 401, 'unauthorized');
    expectProblem(await server.request('GET', '/api/auth/context', { headers: { authorization: 'Bearer a b c' } }), 401, 'invalid-token');
    expectProblem(await server.request('GET', '/api/auth/context', { token: 'not.a.jwt' }), 401, 'invalid-token');
    const expiring = await registerAndLogin(server, unique('expire'));
    server.clock.advance(server.config.tokens.accessTokenTtl + 1000);
    expectProblem(await server.request('GET', '/api/auth/context', { token: expiring.accessToken }), 401, 'access-token-expired');
    const revoked = await registerAndLogin(server, unique('revoke'));
    expect((await server.request('POST', '/api/auth/logout', { token: revoked.accessToken })).status).toBe(204);
    expectProblem(await server.request('GET', '/api/auth/context', { token: revoked.accessToken }), 401, 'token-revoked');
  });

  it('the internal token expires after gateway.internalTokenTtl, while the client token still works', async () => {
    const user = await registerAndLogin(server, unique('internal'));
    const internal = (await server.request('GET', '/api/auth/context', { token: user.accessToken })).body.authorization.accessToken;
    await verifyInternal(server, internal);
    server.clock.advance(31_000);
    await expect(verifyInternal(server, internal)).rejects.toThrow(/exp/);
    expectProblem(await server.request('GET', '/api/auth/account', { token: internal }), 401, 'access-token-expired');
    expect((await server.request('GET', '/api/auth/context', { token: user.accessToken })).status).toBe(200);
  });

  it('is in /openapi.json with the UserContext schema', async () => {
    const spec = (await server.request('GET', '/openapi.json')).body;
    expect(spec.paths['/api/auth/context'].get).toBeDefined();
  });
});

const nginxCases: Array<[Dialect, boolean]> = [['sqlite', true], ['postgres', false]];

describe.each(nginxCases)('a real nginx auth_request in front of an upstream (%s)', (dialect, everyCase) => {
  let server: TestServer;
  let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;
  let nginx: NginxGateway;
  beforeAll(async () => {
    server = await startServer(dialect);
    upstream = await startEchoUpstream();
    nginx = await startNginx(upstream.url, server.url);
  });
  afterAll(async () => {
    await nginx?.stop();
    await upstream?.close();
    await server?.close();
  });

  const through = (token?: string) => fetch(`${nginx.url}/api/orders?x=1`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('lets an authenticated request through with X-User-Id and the internal bearer', async () => {
    const user = await registerAndLogin(server, unique(`nginx-${dialect}`));
    const response = await through(user.accessToken);
    expect(response.status).toBe(200);
    const echoed = (await response.json()) as { path: string; headers: Record<string, string> };
    expect(echoed.path).toBe('/api/orders?x=1');
    expect(echoed.headers['x-user-id']).toBe(user.userId);
    expect(echoed.headers['x-user-roles']).toBe('user');
    const internal = /^Bearer (.+)$/.exec(echoed.headers.authorization!)![1]!;
    expect(internal).not.toBe(user.accessToken);
    const { payload } = await verifyInternal(server, internal);
    expect(payload.sub).toBe(user.userId);
    expect(payload.exp! - payload.iat!).toBe(server.config.gateway.internalTokenTtl / 1000);
  });

  // The refusals are dialect-independent; they run once (SQLite) instead of being reported as skipped elsewhere.
  if (everyCase) it('answers 401 with x-error-code at the client: none, expired, revoked', async () => {
    const before = upstream.received.length;
    const none = await through();
    expect(none.status).toBe(401);
    expect(none.headers.get('x-error-code')).toBe('unauthorized');

    const expiring = await registerAndLogin(server, unique('nginx-expire'));
    expect((await through(expiring.accessToken)).status).toBe(200);
    const passed = upstream.received.length;
    server.clock.advance(server.config.tokens.accessTokenTtl + 1000);
    const expired = await through(expiring.accessToken);
    expect(expired.status).toBe(401);
    expect(expired.headers.get('x-error-code')).toBe('access-token-expired');
    expect(await expired.json()).toEqual({ status: 401, code: 'access-token-expired' });

    const revoking = await registerAndLogin(server, unique('nginx-revoke'));
    expect((await server.request('POST', '/api/auth/logout', { token: revoking.accessToken })).status).toBe(204);
    const revoked = await through(revoking.accessToken);
    expect(revoked.status).toBe(401);
    expect(revoked.headers.get('x-error-code')).toBe('token-revoked');
    // Nothing refused reached the upstream.
    expect(upstream.received.length).toBe(passed);
    expect(passed).toBe(before + 1);
  });
});

const hostedClients = [
  { clientID: 'body-app', callbackURL: 'https://app.example/body', config: { tokenMethod: 'body' } },
  { clientID: 'cookie-app', callbackURL: 'https://app.example/cookie', config: { tokenMethod: 'cookie' } },
];

describe('tokens.clientFormat: opaque (sqlite)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer('sqlite', { config: { tokens: { clientFormat: 'opaque' }, clients: hostedClients } });
  });
  afterAll(async () => server?.close());

  it('login, refresh and guest hand out gh_at.<random>, stored only as a hash', async () => {
    const user = await registerAndLogin(server, unique('opaque'));
    expect(user.accessToken).toMatch(/^gh_at\.[A-Za-z0-9_-]{43}$/);
    const refreshed = (await server.request('POST', '/api/auth/refresh', { json: { refreshToken: user.refreshToken } })).body;
    expect(refreshed.accessToken).toMatch(/^gh_at\./);
    const guest = (await server.request('POST', '/api/auth/guest')).body;
    expect(guest.accessToken).toMatch(/^gh_at\./);
    const rows = await server.app.services.database.db.selectFrom('opaque_tokens').selectAll().execute();
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.some((row) => row.hash.includes(user.accessToken.slice(6)))).toBe(false);
  });

  it('hosted login gives clients a reference too, in the body or the auth cookie, and both authenticate', async () => {
    const email = unique('opaque-hosted');
    await registerAndLogin(server, email);
    const body = await server.request('POST', '/auth/login?clientID=body-app', { json: { email, password: goodPassword } });
    expect(body.status, body.text).toBe(200);
    expect(body.body.token).toMatch(/^gh_at\./);
    expect((await server.request('GET', '/api/auth/account', { token: body.body.token })).status).toBe(200);
    const cookie = await server.request('POST', '/auth/login?clientID=cookie-app', { json: { email, password: goodPassword } });
    const value = /^[^=]+=([^;]+)/.exec(cookie.headers.get('set-cookie') ?? '')?.[1];
    expect(value).toMatch(/^gh_at\./);
    const viaCookie = await server.request('GET', '/api/auth/account', { headers: { cookie: `${server.config.cookie.name}=${value}` } });
    expect(viaCookie.status, viaCookie.text).toBe(200);
    expect(viaCookie.body.email).toBe(email);
  });

  it('the authenticator hook maps a reference to its session: expired and revoked get their codes', async () => {
    const { logins } = server.app.services;
    const user = await registerAndLogin(server, unique('opaque-hook'));
    expect(await logins.authenticateOpaque(user.accessToken)).toMatchObject({ accountId: user.userId, kind: 'bearer' });
    await expect(logins.authenticateOpaque('gh_at.unknown')).rejects.toMatchObject({ code: 'invalid-token' });
    server.clock.advance(server.config.tokens.accessTokenTtl + 1000);
    await expect(logins.authenticateOpaque(user.accessToken)).rejects.toMatchObject({ code: 'access-token-expired' });
    const fresh = (await server.request('POST', '/api/auth/refresh', { json: { refreshToken: user.refreshToken } })).body;
    const { sessionId } = await logins.authenticateOpaque(fresh.accessToken);
    await logins.logout(sessionId, user.userId);
    await expect(logins.authenticateOpaque(fresh.accessToken)).rejects.toMatchObject({ code: 'token-revoked' });
  });

  it('accepts the opaque reference on every endpoint, and only /api/auth/context turns it into the internal JWT', async () => {
    const user = await registerAndLogin(server, unique('opaque-http'));
    expect((await server.request('GET', '/api/auth/account', { token: user.accessToken })).body.id).toBe(user.userId);
    const context = await server.request('GET', '/api/auth/context', { token: user.accessToken });
    expect(context.status).toBe(200);
    const internal = context.body.authorization.accessToken;
    expect(internal.split('.')).toHaveLength(3);
    expect(context.headers.get('authorization')).toBe(`Bearer ${internal}`);
    expect(context.headers.get('x-user-id')).toBe(user.userId);
    const forged = await server.request('GET', '/api/auth/account', { token: 'gh_at.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    expect(forged.headers.get('x-error-code')).toBe('invalid-token');
    await server.request('POST', '/api/auth/logout', { token: user.accessToken });
    expect((await server.request('GET', '/api/auth/context', { token: user.accessToken })).headers.get('x-error-code')).toBe('token-revoked');
    server.clock.advance(server.config.tokens.accessTokenTtl + 1);
    const { database, config } = server.app.services;
    expect((await runCleanupOnce(database.db, config, server.clock.now()))?.opaqueTokens).toBeGreaterThanOrEqual(1);
  });
});
