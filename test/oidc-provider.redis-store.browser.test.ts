import type { Redis } from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './helpers/chromium.js';
import { addOidcClient, startRelyingParty, type RelyingParty } from './helpers/oidc-clients.js';
import { authorizationRequest, postToProvider, startTwoProviderNodes, submitHostedLogin, type EndpointAnswer } from './helpers/oidc-flow.js';
import { clearPrefix, keysUnder, recordPrefix, redisClient, testRedisUrl } from './helpers/redis-records.js';
import { createTestDatabase, goodPassword, registerAndLogin, type TestDatabase, type TestServer } from './helpers/server.js';

const MINUTE = 60_000;

/**
 * `oidc.store: redis` (docs/oidc-provider.md "Storage"): two nodes on one PostgreSQL database and one Redis, as behind
 * a load balancer (one issuer). The person signs in for an app in Chromium; codes and tokens then move between the
 * nodes — and none of the provider's records is written to the database.
 */
describe('the provider’s records in Redis, shared by two nodes (postgres + Redis, Chromium)', () => {
  let database: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  let rp: RelyingParty;
  let chromium: Browser;
  let page: Page;
  let redis: Redis;
  let prefix: string;
  const app = { id: 'rp', secret: 'rp-secret-0123456789abcdef-0123456789' };
  const email = 'oidc-redis@example.com';
  const store = { oidc: { store: 'redis' }, redis: { url: testRedisUrl }, signup: { enabled: true } };

  /** A code for the app through node A: the hosted login the first time, single sign-on after. */
  const authorize = async () => {
    const request = authorizationRequest(a, app.id, `${rp.origin}/cb`, { scope: 'openid email offline_access', prompt: 'consent' });
    await page.goto(request.url.href);
    await page.waitForURL((url) => url.origin === rp.origin || url.pathname === '/auth/login');
    if (new URL(page.url()).pathname === '/auth/login') await submitHostedLogin(page, email);
    await page.waitForURL((url) => url.origin === rp.origin);
    return { request, callback: new URL(page.url()) };
  };

  const exchange = async (node: TestServer, authorization: Awaited<ReturnType<typeof authorize>>): Promise<EndpointAnswer> =>
    postToProvider(node, '/oidc/token', {
      grant_type: 'authorization_code', code: authorization.callback.searchParams.get('code')!,
      redirect_uri: authorization.request.redirectUri, code_verifier: authorization.request.verifier,
    }, app);
  const refresh = (node: TestServer, token: string) => postToProvider(node, '/oidc/token', { grant_type: 'refresh_token', refresh_token: token }, app);
  const active = async (node: TestServer, token: string) => (await postToProvider(node, '/oidc/token/introspection', { token }, app)).body.active as boolean;
  const keysOf = async (model: string) => keysUnder(redis, `${prefix}r:${model}:`);

  beforeAll(async () => {
    [rp, database] = await Promise.all([startRelyingParty('127.0.0.1'), createTestDatabase('postgres')]);
    [a, b] = await startTwoProviderNodes(database, store);
    await addOidcClient(a, app.id, { redirectUris: [`${rp.origin}/cb`], firstParty: true }, app.secret);
    await registerAndLogin(a, email);
    redis = redisClient();
    prefix = recordPrefix(a);
    chromium = await launchChromium();
    page = await (await chromium.newContext()).newPage();
  });

  afterAll(async () => {
    await chromium?.close();
    await b?.close();
    await a?.close();
    await database?.drop();
    await rp?.close();
    if (redis) {
      await clearPrefix(redis, prefix);
      redis.disconnect();
    }
  });

  it('exchanges one code exactly once when both nodes race for it; the loser’s invalid_grant revokes what the winner got', async () => {
    const authorization = await authorize();
    const answers = await Promise.all([exchange(a, authorization), exchange(b, authorization)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400]);
    const winner = answers.find((answer) => answer.status === 200)!;
    expect(answers.find((answer) => answer.status === 400)!.body.error).toBe('invalid_grant');
    expect(winner.body.refresh_token).toEqual(expect.any(String));
    // RFC 6749 §4.1.2: a code used twice revokes the tokens issued for it, on every node.
    expect(await active(a, winner.body.refresh_token)).toBe(false);
    expect(await active(b, winner.body.access_token)).toBe(false);
    // Whichever finished first, nothing of the grant is left: the winner saves its tokens only while the grant exists.
    expect((await Promise.all(['Grant', 'AuthorizationCode', 'AccessToken', 'RefreshToken'].map(keysOf))).flat()).toEqual([]);
    // The records are Redis keys under this cluster's prefix, not rows of the database's table.
    expect(await keysOf('Session')).toHaveLength(1);
    expect(await a.app.services.database.db.selectFrom('oidc_records').select('id').execute()).toEqual([]);
  });

  it('rotates the refresh token across nodes; the old one presented again revokes the grant everywhere', async () => {
    const first = await exchange(b, await authorize());
    expect(first.status).toBe(200);
    const rotated = await refresh(a, first.body.refresh_token);
    expect(rotated.status).toBe(200);
    expect(rotated.body.refresh_token).not.toBe(first.body.refresh_token);
    expect(await active(b, rotated.body.refresh_token)).toBe(true);
    const reused = await refresh(b, first.body.refresh_token);
    expect(reused).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await active(a, rotated.body.refresh_token)).toBe(false);
    expect((await refresh(a, rotated.body.refresh_token)).body.error).toBe('invalid_grant');
  });

  it('keeps each record with the provider’s lifetime as its Redis TTL; past it (the injected clock) a token is inactive', async () => {
    const tokens = (await exchange(a, await authorize())).body;
    const accessTtl = await redis.ttl(`${prefix}r:AccessToken:${tokens.access_token}`);
    expect(accessTtl).toBeGreaterThan(10 * MINUTE / 1000 - 10);
    expect(accessTtl).toBeLessThanOrEqual(10 * MINUTE / 1000);
    expect(await redis.ttl(`${prefix}r:RefreshToken:${tokens.refresh_token}`)).toBeGreaterThan(30 * 24 * 3600 - 10);
    expect(await active(b, tokens.access_token)).toBe(true);
    a.clock.advance(11 * MINUTE);
    expect(await active(b, tokens.access_token)).toBe(false);
    expect(await active(b, tokens.refresh_token)).toBe(true);
  });

  it('ending the Gatehouse session on node A ends node B’s refresh and access tokens at once, and removes their keys', async () => {
    const tokens = (await exchange(a, await authorize())).body;
    expect(await active(b, tokens.refresh_token)).toBe(true);
    expect(await keysOf('Session')).toHaveLength(1);
    // The person changes the password through node A, from another sign-in: every other session ends (seed 004).
    const login = await a.request('POST', '/api/auth/login', { json: { email, password: goodPassword } });
    const changed = await a.request('PUT', '/api/auth/account', { token: login.body.accessToken, json: { currentPassword: goodPassword, password: 'Another-Horse-43' } });
    expect(changed.status).toBe(204);
    expect(await active(b, tokens.refresh_token)).toBe(false);
    expect(await active(b, tokens.access_token)).toBe(false);
    expect((await refresh(b, tokens.refresh_token)).body.error).toBe('invalid_grant');
    // Node A took the browser session with its grants, codes and tokens out of Redis.
    await expect.poll(async () => (await Promise.all(['Session', 'Grant', 'RefreshToken', 'AccessToken'].map(keysOf))).flat(), { timeout: 5000 }).toEqual([]);
  });
});
