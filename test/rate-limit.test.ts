import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from './helpers/problems.js';
import { testRedisUrl } from './helpers/env.js';
import { createTestDatabase, goodPassword, startServer, type TestServer } from './helpers/server.js';

const limits = { enabled: true, window: '1m', login: 3, register: 2, forgotPassword: 2, emailAvailable: 3 };

describe('rate limits per client address (rateLimit.*)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer('sqlite', { config: { rateLimit: limits, signup: { alwaysConfirm: true }, lockout: { maxAttempts: -1 } } });
  });
  afterAll(async () => server?.close());

  it('limits logins across every login door, answers 429 rate-limited with Retry-After, and lets the next window in', async () => {
    const wrong = { email: 'nobody@example.com', password: 'wrong' };
    expect((await server.request('POST', '/api/auth/login', { json: wrong })).status).toBe(401);
    expect((await server.request('POST', '/auth/cookie', { body: 'auth_username=x&auth_password=y', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(401);
    server.clock.advance(20_000);
    expect((await server.request('POST', '/api/auth/login', { json: wrong })).status).toBe(401);
    const limited = await server.request('POST', '/api/auth/login', { json: wrong });
    expectProblem(limited, 429, 'rate-limited');
    expect(Number(limited.headers.get('retry-after'))).toBe(40);
    // Limited before any work: not even the right password is checked.
    await server.request('POST', '/api/auth/register', { json: { email: 'rl@example.com', password: goodPassword } });
    expect((await server.request('POST', '/api/auth/login', { json: { email: 'rl@example.com', password: goodPassword } })).status).toBe(429);
    server.clock.advance(40_000);
    expect((await server.request('POST', '/api/auth/login', { json: { email: 'rl@example.com', password: goodPassword } })).status).toBe(200);
  });

  it('limits registration, forgot-password and email-available, each with its own budget', async () => {
    server.clock.advance(60_000);
    const register = (i: number) => server.request('POST', '/api/auth/register', { json: { email: `r${i}@example.com`, password: goodPassword } });
    expect([(await register(1)).status, (await register(2)).status, (await register(3)).status]).toEqual([201, 201, 429]);
    const forgot = () => server.request('POST', '/api/auth/forgot-password', { json: { email: 'r1@example.com' } });
    expect([(await forgot()).status, (await forgot()).status, (await forgot()).status]).toEqual([202, 202, 429]);
    const available = () => server.request('GET', '/auth/email-available?email=r1@example.com');
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await available()).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    // A HEAD runs the GET route's handler, so it spends the same budget and cannot go around it.
    server.clock.advance(60_000);
    const heads = [];
    for (let i = 0; i < 4; i++) heads.push((await server.request('HEAD', '/auth/email-available?email=r1@example.com')).status);
    expect(heads).toEqual([200, 200, 200, 429]);
    expect((await available()).status).toBe(429);
    // Unlimited routes are untouched.
    expect((await server.request('GET', '/healthz')).status).toBe(200);
  });

  it('issue 14: POST /api/auth/guest shares the register budget (default 10): the 11th guest from one address gets 429', async () => {
    const defaults = await startServer('sqlite', { config: { rateLimit: { enabled: true } } });
    try {
      const guests = [];
      for (let i = 0; i < 11; i++) guests.push(await defaults.request('POST', '/api/auth/guest'));
      expect(guests.slice(0, 10).map((g) => g.status)).toEqual(Array(10).fill(200));
      expectProblem(guests[10]!, 429, 'rate-limited');
      expect(Number(guests[10]!.headers.get('retry-after'))).toBeGreaterThan(0);
      const stored = await defaults.app.services.database.db.selectFrom('accounts').select('id').where('type', '=', 'guest').execute();
      expect(stored).toHaveLength(10);
      // A guest is a new account: registering from the same address draws on the same budget.
      expect((await defaults.request('POST', '/api/auth/register', { json: { email: 'after-guests@example.com', password: goodPassword } })).status).toBe(429);
      defaults.clock.advance(60_000);
      expect((await defaults.request('POST', '/api/auth/guest')).status).toBe(200);
    } finally {
      await defaults.close();
    }
  });

  it('issue 14: GET /api/auth/account/confirmed shares the emailAvailable budget (default 30)', async () => {
    const defaults = await startServer('sqlite', { config: { rateLimit: { enabled: true } } });
    try {
      const confirmed = [];
      for (let i = 0; i < 31; i++) confirmed.push(await defaults.request('GET', `/api/auth/account/confirmed?email=probe${i}@example.com`));
      expect(confirmed.slice(0, 30).map((c) => c.status)).toEqual(Array(30).fill(200));
      expectProblem(confirmed[30]!, 429, 'rate-limited');
      expect(Number(confirmed[30]!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await defaults.request('GET', '/auth/email-available?email=probe@example.com')).status).toBe(429);

      defaults.clock.advance(60_000);
      expect((await defaults.request('GET', '/api/auth/account/confirmed?email=probe@example.com')).status).toBe(200);
    } finally {
      await defaults.close();
    }
  });

  it('counts HTTP Basic checks against rateLimit.login (default 30) before any hashing; a credential verified before is not counted again', async () => {
    const basicServer = await startServer('sqlite', { config: { rateLimit: { enabled: true }, httpBasic: { enabled: true }, signup: { alwaysConfirm: true }, lockout: { maxAttempts: -1 } } });
    try {
      const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
      await basicServer.request('POST', '/api/auth/register', { json: { username: 'basil', email: 'basil@example.com', password: goodPassword } });
      const { hasher } = basicServer.app.services;
      let checks = 0;
      for (const name of ['verify', 'verifyDummy'] as const) {
        const original = hasher[name].bind(hasher) as (...args: never[]) => Promise<never>;
        (hasher as unknown as Record<string, unknown>)[name] = (...args: never[]) => (checks++, original(...args));
      }
      // One good credential: counted once, then answered from memory however often it comes.
      expect((await basicServer.request('GET', '/auth/user', { headers: basic('basil', goodPassword) })).status).toBe(200);
      for (let i = 0; i < 5; i++) expect((await basicServer.request('GET', '/auth/user', { headers: basic('basil', goodPassword) })).status).toBe(200);
      expect((await basicServer.request('POST', '/api/auth/login', { json: { email: 'basil@example.com', password: 'Wrong-Pass-0' } })).status).toBe(401);
      for (let i = 1; i <= 28; i++) {
        const wrong = await basicServer.request('GET', i % 2 ? '/auth/user' : '/auth/basic', { headers: basic('basil', `Wrong-Pass-${i}`) });
        expect(wrong.status).toBe(401);
      }
      expect(checks).toBe(30);
      const limited = await basicServer.request('GET', '/auth/basic', { headers: basic('basil', 'Wrong-Pass-31') });
      expectProblem(limited, 429, 'rate-limited');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      // Not even a right password that was never checked before gets a hash: the budget is spent.
      expect((await basicServer.request('GET', '/api/auth/account', { headers: basic('basil@example.com', goodPassword) })).status).toBe(429);
      expect((await basicServer.request('POST', '/api/auth/login', { json: { email: 'basil@example.com', password: goodPassword } })).status).toBe(429);
      expect(checks).toBe(30);
      expect((await basicServer.request('GET', '/auth/user', { headers: basic('basil', goodPassword) })).body.user).toBe('basil');
      basicServer.clock.advance(60_000);
      expect((await basicServer.request('GET', '/api/auth/account', { headers: basic('basil@example.com', goodPassword) })).status).toBe(200);
    } finally {
      await basicServer.close();
    }
  });

  it('counts per real client address behind a proxy only with server.trustProxy', async () => {
    for (const trustProxy of [1, false]) {
      const proxied = await startServer('sqlite', { config: { rateLimit: limits, server: { trustProxy } } });
      try {
        const from = (ip: string) => proxied.request('GET', '/auth/email-available?email=a@example.com', { headers: { 'x-forwarded-for': ip } });
        for (let i = 0; i < 3; i++) expect((await from('203.0.113.1')).status).toBe(200);
        expect((await from('203.0.113.1')).status).toBe(429);
        expect((await from('203.0.113.2')).status).toBe(trustProxy ? 200 : 429);
      } finally {
        await proxied.close();
      }
    }
  });

  it('shares one budget across the nodes of a cluster through Redis, apart from other clusters', async () => {
    const database = await createTestDatabase('postgres');
    const config = { rateLimit: limits, redis: { url: testRedisUrl } };
    const a = await startServer('postgres', { database, config });
    const b = await startServer('postgres', { database, smtp: a.smtp, config });
    const otherCluster = await startServer('postgres', { config });
    try {
      const check = (node: TestServer) => node.request('GET', '/auth/email-available?email=shared@example.com');
      const statuses = [(await check(a)).status, (await check(b)).status, (await check(a)).status, (await check(b)).status];
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await check(a);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      // Another cluster on the same Redis has its own counts.
      expect((await check(otherCluster)).status).toBe(200);
    } finally {
      await otherCluster.close();
      await b.close();
      await a.close();
      await database.drop();
    }
  });
});
