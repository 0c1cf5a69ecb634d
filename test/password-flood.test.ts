import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { within } from './helpers/poll.js';
import { goodPassword, startServer, type TestServer } from './helpers/server.js';

/**
 * Issue 14 item 6: a flood of password checks (HTTP Basic with made-up credentials, from one address, with the rate
 * limit off so it does not hide the flood) must not delay other requests, nor a login from another address, by more
 * than a bound that follows from the hashing queue: at most `maxWaiting / concurrency` hashes ahead of any check.
 * The production argon2 parameters; the flood comes from 127.0.0.1, everything else from 127.0.0.2.
 */

const PRODUCTION_HASH = { memoryCost: 19456, timeCost: 2, parallelism: 1, concurrency: 2 };
/** Connections that send made-up Basic credentials again as soon as they are answered (test/helpers/basic-flood.ts). */
const FLOOD_CONNECTIONS = 300;
/** Hashes over which the rate the queue drains at is measured. */
const DRAIN_SAMPLE = 32;
/** Most the event loop may take to answer `/auth/user` during the flood on an idle machine (issue 14: "a small bound"). */
const USER_BOUND_MS = 250;
/** Slack on the hashes ahead of the login, for a loaded two-core machine (the flood and another test file share it). */
const LOAD_FACTOR = 2;

interface Reply {
  status: number;
  retryAfter: string | undefined;
  body: string;
  ms: number;
}

function send(server: TestServer, agent: Agent, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server.url}${path}`, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({
        status: res.statusCode ?? 0,
        retryAfter: res.headers['retry-after'],
        body: Buffer.concat(chunks).toString('utf8'),
        ms: performance.now() - started,
      }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe('a flood of password checks (bounded hashing queue)', () => {
  let server: TestServer;
  let flood: ChildProcess | undefined;
  const other = new Agent({ keepAlive: true, maxSockets: Infinity, localAddress: '127.0.0.2' });
  const login = () => send(server, other, 'POST', '/api/auth/login', { 'content-type': 'application/json' }, JSON.stringify({ email: 'real@example.com', password: goodPassword }));
  beforeAll(async () => {
    server = await startServer('sqlite', { config: { httpBasic: { enabled: true }, signup: { alwaysConfirm: true }, password: { hash: PRODUCTION_HASH } } });
    const registered = await server.request('POST', '/api/auth/register', { json: { email: 'real@example.com', password: goodPassword } });
    expect(registered.status).toBe(201);
  });
  afterAll(async () => {
    flood?.kill();
    other.destroy();
    await server?.close();
  });

  function startFlood(): { stop(): Promise<{ statuses: Record<string, number>; badOverloaded: number }> } {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/basic-flood.ts', server.url, String(FLOOD_CONNECTIONS)], { stdio: ['pipe', 'pipe', 'inherit'] });
    flood = child;
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    return {
      async stop() {
        child.stdin!.end();
        await exited;
        return JSON.parse(output);
      },
    };
  }

  it('answers 503 overloaded with Retry-After to the excess, while /auth/user and a login from another address stay quick', async () => {
    const { hasher } = server.app.services;
    const baseline: number[] = [];
    for (let i = 0; i < 3; i++) baseline.push((await login()).ms);
    const running = startFlood();
    let stopped = false;
    try {
      // Under way once half the connections have reached the queue (waiting in it, hashing, or refused by it): without
      // a bound, a login would then wait for at least FLOOD_CONNECTIONS / 2 hashes.
      await within(60_000, async () => {
        const load = hasher.load();
        return load.waiting + load.active + load.refused >= FLOOD_CONNECTIONS / 2;
      });
      const { maxWaiting, completed: completedBefore } = hasher.load();
      const startedAt = performance.now();
      const probes: number[] = [];
      for (let i = 0; i < 5; i++) {
        const probe = await send(server, other, 'GET', '/auth/user', {});
        expect(probe.status).toBe(200);
        probes.push(probe.ms);
      }
      const queuedWhenSent = hasher.load().waiting;
      const real = await login();
      // The rate the queue drains at, on this machine under this load, over a few dozen hashes at least.
      await within(60_000, async () => hasher.load().completed >= completedBefore + DRAIN_SAMPLE);
      const msPerHash = (performance.now() - startedAt) / (hasher.load().completed - completedBefore);
      const oneHashMs = msPerHash * PRODUCTION_HASH.concurrency;
      // Behind a full queue: the checks waiting and running ahead of it, then its own; plus the event loop's share.
      const loginBoundMs = median(baseline) + (maxWaiting + PRODUCTION_HASH.concurrency + 1) * msPerHash * LOAD_FACTOR + USER_BOUND_MS;
      // /auth/user needs no hash: it must not wait even for one (on an idle machine, the brief's 250 ms).
      const userBoundMs = Math.max(USER_BOUND_MS, oneHashMs);
      const { statuses, badOverloaded } = await running.stop();
      stopped = true;
      const detail = `drain ${msPerHash.toFixed(1)} ms per hash, login bound ${loginBoundMs.toFixed(0)} ms, /auth/user bound ${userBoundMs.toFixed(0)} ms, `
        + `queue ${queuedWhenSent}/${maxWaiting} when sent, login ${real.status} in ${real.ms.toFixed(0)} ms (${baseline.map((ms) => ms.toFixed(0)).join('/')} before), `
        + `/auth/user ${probes.map((ms) => ms.toFixed(0)).join('/')} ms, flood ${JSON.stringify(statuses)}`;
      expect(real.status, detail).toBe(200);
      expect(real.ms, detail).toBeLessThan(loginBoundMs);
      expect(Math.max(...probes), detail).toBeLessThan(userBoundMs);
      expect(statuses['503'] ?? 0, detail).toBeGreaterThan(0);
      expect(badOverloaded, detail).toBe(0);
      expect(Object.keys(statuses).sort(), detail).toEqual(['401', '503']);
    } finally {
      if (!stopped) await running.stop();
    }
  }, 120_000);
});
