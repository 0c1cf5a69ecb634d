import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRedisUrl } from './helpers/env.js';
import { createTestDatabase, goodPassword, registerAndLogin, startServer, type TestDatabase, type TestServer } from './helpers/server.js';
import { within } from './helpers/poll.js';
import { rotateSigningKeys } from '../src/tokens/signing-keys.js';
import { KEY_RELOAD_MS } from '../src/tokens/key-store.js';
import { runCli } from './helpers/cli.js';


describe.each([
  ['PostgreSQL NOTIFY', {}],
  ['Redis pub/sub', { redis: { url: testRedisUrl } }],
] as const)('two nodes on one PostgreSQL, revocations by %s', (_name, extra) => {
  let database: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    a = await startServer('postgres', { database, config: { ...extra } });
    b = await startServer('postgres', { database, smtp: a.smtp, clock: a.clock, config: { ...extra } });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await database?.drop();
  });

  const refusedOnB = (token: string) => async () => (await b.request('GET', '/api/auth/account', { token })).status === 401;

  it('shares signing keys: a token from one node works on the other', async () => {
    expect((await b.request('GET', '/.well-known/jwks.json')).body).toEqual((await a.request('GET', '/.well-known/jwks.json')).body);
    const user = await registerAndLogin(a, `keys-${Date.now()}@example.com`);
    expect((await b.request('GET', '/api/auth/account', { token: user.accessToken })).status).toBe(200);
  });

  const kidOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid;
  const publishedKids = async (node: TestServer): Promise<string[]> =>
    (await node.request('GET', '/.well-known/jwks.json')).body.keys.map((k: { kid: string }) => k.kid);

  it('rotates signing keys with `gatehouse keys rotate`: every node publishes and signs with the new key at once, old tokens stay valid', async () => {
    const before = await registerAndLogin(a, `rotate-${Date.now()}@example.com`);
    const oldKid = kidOf(before.accessToken);
    const redisEnv: Record<string, string> = 'redis' in extra ? { REDIS_URL: extra.redis.url } : {};
    const rotated = await runCli(['keys', 'rotate'], { DATABASE_URL: database.url, ...redisEnv });
    expect(rotated.stderr).toBe('');
    const newKid = /new signing key (\S+)/.exec(rotated.stdout)![1]!;
    expect(newKid).not.toBe(oldKid);
    const audited = await a.app.services.database.db.selectFrom('audit_events').select('data').where('type', '=', 'keys.rotated').execute();
    expect(audited.map((row) => JSON.parse(row.data!))).toContainEqual({ by: 'cli', keys: expect.arrayContaining([expect.stringContaining(newKid)]) });
    // The broadcast reaches both nodes: no clock advance, no waiting for the 30 s reload.
    for (const node of [a, b]) await within(1000, async () => (await publishedKids(node)).includes(newKid));
    for (const node of [a, b]) expect(await publishedKids(node)).toEqual(expect.arrayContaining([oldKid, newKid]));
    const after = (await b.request('POST', '/api/auth/refresh', { json: { refreshToken: before.refreshToken } })).body;
    expect(kidOf(after.accessToken)).toBe(newKid);
    for (const node of [a, b]) {
      expect((await node.request('GET', '/api/auth/account', { token: before.accessToken })).status).toBe(200);
      expect((await node.request('GET', '/api/auth/account', { token: after.accessToken })).status).toBe(200);
    }
  });

  it('finds a rotation that was not broadcast at its next reload, 30 s later', async () => {
    const [kid] = await rotateSigningKeys(a.app.services.database.db, [a.config.tokens.algorithm], a.clock.now());
    expect(await publishedKids(b)).not.toContain(kid);
    a.clock.advance(KEY_RELOAD_MS);
    for (const node of [a, b]) expect(await publishedKids(node)).toContain(kid);
  });

  it('shows a language changed on one node in the other node\'s /auth/user within a second, despite its profile cache', async () => {
    const user = await registerAndLogin(a, `language-${Date.now()}@example.com`);
    expect((await b.request('GET', '/auth/user', { token: user.accessToken })).body.language).toBeNull();
    expect((await a.request('PUT', `/accounts/${user.userId}`, { token: user.accessToken, json: { language: 'de' } })).status).toBe(200);
    await within(1000, async () => (await b.request('GET', '/auth/user', { token: user.accessToken })).body.language === 'de');
  });

  it('refuses a logged-out token on the other node within a second, despite its caches', async () => {
    const user = await registerAndLogin(a, `logout-${Date.now()}@example.com`);
    // Warm node B's caches: the token is verified and its session known live there.
    expect((await b.request('GET', '/api/auth/account', { token: user.accessToken })).status).toBe(200);
    expect((await a.request('POST', '/api/auth/logout', { token: user.accessToken })).status).toBe(204);
    await within(1000, refusedOnB(user.accessToken));
    expect((await b.request('GET', '/api/auth/account', { token: user.accessToken })).headers.get('x-error-code')).toBe('token-revoked');
  });

  it('ends other sessions everywhere on a password change, and all of them on account deletion', async () => {
    const email = `change-${Date.now()}@example.com`;
    const first = await registerAndLogin(a, email);
    const second = (await a.request('POST', '/api/auth/login', { json: { email, password: goodPassword } })).body;
    expect((await b.request('GET', '/api/auth/account', { token: second.accessToken })).status).toBe(200);
    await a.request('PUT', '/api/auth/account', { token: first.accessToken, json: { currentPassword: goodPassword, password: 'Cluster-Pass-99' } });
    await within(1000, refusedOnB(second.accessToken));
    expect((await b.request('GET', '/api/auth/account', { token: first.accessToken })).status).toBe(200);
    expect((await a.request('DELETE', `/accounts/${first.userId}`, { token: first.accessToken })).status).toBe(204);
    await within(1000, refusedOnB(first.accessToken));
  });

  it('ends a session deleted through /accounts/{id}/tokens on every node', async () => {
    const email = `owner-${Date.now()}@example.com`;
    const owner = await registerAndLogin(a, email);
    const other = (await a.request('POST', '/api/auth/login', { json: { email, password: goodPassword } })).body;
    expect((await b.request('GET', '/api/auth/account', { token: other.accessToken })).status).toBe(200);
    const otherSession = JSON.parse(Buffer.from(other.accessToken.split('.')[1], 'base64url').toString()).sid;
    expect((await a.request('DELETE', `/accounts/${owner.userId}/tokens/${otherSession}`, { token: owner.accessToken })).status).toBe(204);
    await within(1000, refusedOnB(other.accessToken));
    expect((await b.request('GET', '/api/auth/account', { token: owner.accessToken })).status).toBe(200);
  });

  it('gives both nodes the same successor when they refresh the same token at once, and loses no session', async () => {
    const user = await registerAndLogin(a, `race-${Date.now()}@example.com`);
    const [onA, onB] = await Promise.all([
      a.request('POST', '/api/auth/refresh', { json: { refreshToken: user.refreshToken } }),
      b.request('POST', '/api/auth/refresh', { json: { refreshToken: user.refreshToken } }),
    ]);
    expect([onA.status, onB.status]).toEqual([200, 200]);
    expect(onA.body.refreshToken).toBe(onB.body.refreshToken);
    expect((await b.request('POST', '/api/auth/refresh', { json: { refreshToken: onA.body.refreshToken } })).status).toBe(200);
    // After the window, replaying the original token on either node revokes the session everywhere.
    a.clock.advance(10_001);
    expect((await b.request('POST', '/api/auth/refresh', { json: { refreshToken: user.refreshToken } })).headers.get('x-error-code')).toBe('refresh-token-reused');
    await within(1000, async () => (await a.request('GET', '/api/auth/account', { token: onA.body.accessToken })).status === 401);
  });
});

describe('a session extended on one node, while another node has it cached as ending soon', () => {
  let database: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  const config = { tokens: { accessTokenTtl: '3h', refreshTokenTtl: '2h' } };
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    a = await startServer('postgres', { database, config });
    b = await startServer('postgres', { database, smtp: a.smtp, clock: a.clock, config });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await database?.drop();
  });

  it('stays live on the other node past its old end: an ended-looking cache entry is checked against the database', async () => {
    const user = await registerAndLogin(a, `extend-${Date.now()}@example.com`);
    a.clock.advance(2 * 3_600_000 - 30_000);
    // B caches the session as ending in 30 s.
    expect((await b.request('GET', '/auth/user', { token: user.accessToken })).status).toBe(200);
    a.clock.advance(10_000);
    expect((await a.request('POST', '/api/auth/refresh', { json: { refreshToken: user.refreshToken } })).status).toBe(200);
    // Past the old end, and well within B's one-minute recheck interval.
    a.clock.advance(35_000);
    const after = await b.request('GET', '/auth/user', { token: user.accessToken });
    expect(after.status, after.text).toBe(200);
    expect(Date.parse(after.body.authTokenExpires)).toBeGreaterThan(a.clock.now() + 3_600_000);
  });
});
