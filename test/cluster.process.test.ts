import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startCluster, type Cluster } from './helpers/cluster.js';
import { testRedisUrl } from './helpers/env.js';
import { createTestDatabase, goodPassword, type TestDatabase } from './helpers/server.js';
import { within } from './helpers/poll.js';

/**
 * The multi-process version of test/cluster.test.ts: three `gatehouse serve` processes on one PostgreSQL behind a
 * real nginx, once with revocations over PostgreSQL NOTIFY and once over Redis.
 */

const size = 3;
const repo = fileURLToPath(new URL('..', import.meta.url));

/** One node's `gatehouse_scheduled_jobs_total` for the clean-up, from its /metrics. */
async function cleanupCounts(base: string): Promise<{ ran: number; skipped: number; failed: number }> {
  const text = (await call(base, 'GET', '/metrics')).text;
  const count = (result: string) => Number(new RegExp(`^gatehouse_scheduled_jobs_total\\{job="cleanup",result="${result}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { ran: count('ran'), skipped: count('skipped'), failed: count('failed') };
}

async function pgQuery(url: string, text: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

const unique = (label: string) => `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;

describe.each([
  ['PostgreSQL NOTIFY', {}],
  ['Redis pub/sub', { REDIS_URL: testRedisUrl }],
] as const)(`${size} gatehouse processes on one PostgreSQL behind nginx, revocations by %s`, (_name, extra) => {
  let database: TestDatabase;
  let cluster: Cluster;
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    cluster = await startCluster(size, database.url, {
      GATEHOUSE_SIGNUP__ALWAYS_CONFIRM: 'true',
      GATEHOUSE_RATE_LIMIT__ENABLED: 'false',
      GATEHOUSE_LOCKOUT__MAX_ATTEMPTS: '5',
      // Every second, so the once-per-cluster claim is exercised many times while the suite runs.
      GATEHOUSE_SCHEDULE__CRON: '* * * * * *',
      ...extra,
    });
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
    await database?.drop();
  }, 30_000);

  const kidOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid;
  const publishedKids = async (base: string): Promise<string[]> =>
    ((await call(base, 'GET', '/.well-known/jwks.json')).body as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);

  async function registerAndLogin(base: string, email: string) {
    const registered = await call(base, 'POST', '/api/auth/register', { json: { email, password: goodPassword } });
    expect(registered.status, registered.text).toBe(201);
    const login = await call(base, 'POST', '/api/auth/login', { json: { email, password: goodPassword } });
    expect(login.status, login.text).toBe(200);
    return { ...(login.body as { accessToken: string; refreshToken: string }), email };
  }

  it('shares signing keys, and refuses a token logged out on one node on every other within a second', async () => {
    const jwks = await Promise.all(cluster.nodes.map(async (node) => (await call(node.url, 'GET', '/.well-known/jwks.json')).body));
    for (const keys of jwks) expect(keys).toEqual(jwks[0]);
    const user = await registerAndLogin(cluster.url, unique('logout'));
    // Warm every node's caches: the token is verified and its session known live there.
    for (const node of cluster.nodes) expect((await call(node.url, 'GET', '/api/auth/account', { token: user.accessToken })).status).toBe(200);
    const [first, ...others] = cluster.nodes;
    expect((await call(first!.url, 'POST', '/api/auth/logout', { token: user.accessToken })).status).toBe(204);
    const took = await Promise.all(others.map((node) => within(1000, async () => (await call(node.url, 'GET', '/api/auth/account', { token: user.accessToken })).status === 401)));
    console.info(`[cluster ${_name}] logout refused on the other nodes after ${took.join(', ')} ms`);
    for (const node of others) expect((await call(node.url, 'GET', '/api/auth/account', { token: user.accessToken })).headers.get('x-error-code')).toBe('token-revoked');
  });

  it('publishes a key rotated by `gatehouse keys rotate` on every node within a second; older tokens stay valid', async () => {
    const before = await registerAndLogin(cluster.url, unique('rotate'));
    const oldKid = kidOf(before.accessToken);
    const rotated = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'keys', 'rotate'], {
      cwd: repo, env: { PATH: process.env.PATH!, HOME: process.env.HOME!, DATABASE_URL: database.url, ...extra }, encoding: 'utf8', timeout: 60_000,
    });
    expect(rotated.stderr).toBe('');
    const newKid = /new signing key (\S+)/.exec(rotated.stdout)![1]!;
    const took = await Promise.all(cluster.nodes.map((node) => within(1000, async () => (await publishedKids(node.url)).includes(newKid))));
    console.info(`[cluster ${_name}] rotated key published by every node after ${took.join(', ')} ms`);
    for (const node of cluster.nodes) expect(await publishedKids(node.url)).toEqual(expect.arrayContaining([oldKid, newKid]));
    for (const node of cluster.nodes) {
      const refreshed = await call(node.url, 'POST', '/api/auth/login', { json: { email: before.email, password: goodPassword } });
      expect(kidOf((refreshed.body as { accessToken: string }).accessToken)).toBe(newKid);
      expect((await call(node.url, 'GET', '/api/auth/account', { token: before.accessToken })).status).toBe(200);
    }
  });

  it('runs each scheduled clean-up once per cluster', async () => {
    // Every node fires every second; let a few slots pass, then compare the nodes' own counts with the claims.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const counts = await Promise.all(cluster.nodes.map((node) => cleanupCounts(node.url)));
    const ran = counts.reduce((sum, c) => sum + c.ran, 0);
    const skipped = counts.reduce((sum, c) => sum + c.skipped, 0);
    const { rows } = await pgQuery(database.url, `select count(*)::int as n from job_runs where job = 'cleanup'`);
    console.info(`[cluster ${_name}] clean-up: ${ran} slots run, ${skipped} skipped by other nodes, ${rows[0].n} claimed`);
    expect(counts.every((c) => c.failed === 0)).toBe(true);
    expect(ran).toBeGreaterThanOrEqual(3);
    // Claims are unique per slot, so more runs than claims would mean a slot ran twice. Fewer: runs still in flight.
    expect(ran).toBeLessThanOrEqual(rows[0].n);
    expect(rows[0].n - ran).toBeLessThanOrEqual(size);
    expect(skipped).toBeGreaterThan(0);
  });

  it('counts failed logins exactly across nodes: 30 concurrent wrong passwords give 5 × 401 and 25 × 429', async () => {
    const email = unique('lockout');
    expect((await call(cluster.url, 'POST', '/api/auth/register', { json: { email, password: goodPassword } })).status).toBe(201);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) =>
      call(cluster.nodes[i % size]!.url, 'POST', '/api/auth/login', { json: { email, password: 'Wrong-Horse-41' } })));
    expect(answers.filter((a) => a.status !== 401 && a.status !== 429).map((a) => `${a.status} ${a.text}`)).toEqual([]);
    expect(answers.filter((a) => a.status === 401)).toHaveLength(5);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(25);
    for (const answer of answers.filter((a) => a.status === 429)) expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
    // The lock holds on every node, for the right password too.
    for (const node of cluster.nodes) expect((await call(node.url, 'POST', '/api/auth/login', { json: { email, password: goodPassword } })).status).toBe(429);
  });

  it('gives every node the same successor when they refresh the same token at once', async () => {
    const user = await registerAndLogin(cluster.url, unique('race'));
    const answers = await Promise.all(cluster.nodes.map((node) => call(node.url, 'POST', '/api/auth/refresh', { json: { refreshToken: user.refreshToken } })));
    expect(answers.map((a) => a.status)).toEqual(cluster.nodes.map(() => 200));
    const successors = new Set(answers.map((a) => (a.body as { refreshToken: string }).refreshToken));
    expect(successors.size).toBe(1);
    const [successor] = successors;
    expect((await call(cluster.nodes[size - 1]!.url, 'POST', '/api/auth/refresh', { json: { refreshToken: successor } })).status).toBe(200);
  });

  it('loses no acknowledged registration when a node is killed under load', async () => {
    const victim = cluster.nodes[1]!;
    const survivor = cluster.nodes[0]!;
    const acknowledged: string[] = [];
    const failed: string[] = [];
    const duration = 3000;
    const concurrency = 4;
    const started = Date.now();
    let killedAt = 0;
    const killer = (async () => {
      await new Promise((resolve) => setTimeout(resolve, duration / 2));
      killedAt = Date.now() - started;
      await victim.kill();
    })();
    const worker = async (w: number) => {
      for (let n = 0; Date.now() - started < duration; n++) {
        const email = unique(`load-${w}-${n}`);
        try {
          const answer = await call(cluster.url, 'POST', '/api/auth/register', { json: { email, password: goodPassword } });
          if (answer.status === 201) acknowledged.push(email);
          else failed.push(`${answer.status} ${answer.text.slice(0, 100)}`);
        } catch (error) {
          failed.push(`no answer: ${(error as Error).message}`);
        }
      }
    };
    await Promise.all([killer, ...Array.from({ length: concurrency }, (_, w) => worker(w))]);
    console.info(`[cluster ${_name}] killed node ${victim.pid} at ${killedAt} ms: ${acknowledged.length} registrations acknowledged, ${failed.length} failed ${JSON.stringify([...new Set(failed)])}`);
    expect(acknowledged.length).toBeGreaterThan(20);
    // Only the requests in flight on the victim when it died may fail (502): each worker has one at a time, and
    // later ones that cannot connect to it are passed on by nginx (never sent, so safe to retry even for a POST).
    expect(failed.every((f) => f.startsWith('502'))).toBe(true);
    expect(failed.length).toBeLessThanOrEqual(concurrency);
    // Every acknowledged account exists, asked through a surviving node.
    const missing: string[] = [];
    for (let i = 0; i < acknowledged.length; i += 10) {
      await Promise.all(acknowledged.slice(i, i + 10).map(async (email) => {
        const answer = await call(survivor.url, 'GET', `/api/auth/account/confirmed?email=${encodeURIComponent(email)}`);
        if (answer.status !== 200 || (answer.body as { confirmed: boolean }).confirmed !== true) missing.push(`${email}: ${answer.status} ${answer.text}`);
      }));
    }
    expect(missing).toEqual([]);
    // The balancer keeps answering on the survivors, and a sample logs in.
    for (const email of acknowledged.slice(-3)) expect((await call(cluster.url, 'POST', '/api/auth/login', { json: { email, password: goodPassword } })).status).toBe(200);
  });
});
