import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, SERVER_TIMEOUTS } from '../src/app.js';
import { ManualClock } from '../src/clock.js';
import { parseConfig } from '../src/config/index.js';
import { fastHash } from './helpers/server.js';
import { freePort } from './helpers/ports.js';

/*
 * Slow clients (issue 14, item 9): a request whose headers or body stall is cut off, so slow-body connections
 * cannot pile up. Node's timers run on real time, so the app runs with timeouts of a second here
 * (createApp's `timeouts`); `gatehouse serve` uses SERVER_TIMEOUTS.
 */

const REQUEST_MS = 1000;
const HEADERS_MS = 600;

/** What came back on a raw socket, and how long until the server closed it (null: still open at `giveUpMs`). */
interface Outcome { received: string; closedAfterMs: number | null }

/** Opens a socket, hands it to `drive` (which may return how to stop its writing), and waits for the server to close it. */
function watch(port: number, drive: (socket: Socket) => (() => void) | void, giveUpMs = 6000): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const started = Date.now();
    let received = '';
    let stop: (() => void) | void;
    const finish = (closedAfterMs: number | null) => {
      clearTimeout(giveUp);
      stop?.();
      socket.destroy();
      resolve({ received, closedAfterMs });
    };
    const giveUp = setTimeout(() => finish(null), giveUpMs);
    socket.on('data', (chunk) => (received += chunk.toString('utf8')));
    socket.on('error', () => undefined);
    socket.on('close', () => finish(Date.now() - started));
    socket.on('connect', () => (stop = drive(socket)));
  });
}

const head = (length: number) =>
  `POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

describe('request and header timeouts', () => {
  let app: FastifyInstance;
  let port: number;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-timeouts-'));
    port = await freePort();
    const config = parseConfig({
      server: { host: '127.0.0.1', port, baseUrl: `http://127.0.0.1:${port}` },
      database: { url: `sqlite:${join(dir, 'gatehouse.db')}` },
      email: { outboxDir: join(dir, 'outbox') },
      password: { hash: fastHash },
      rateLimit: { enabled: false },
    }, {});
    app = await createApp(config, {
      clock: new ManualClock(Date.now()),
      logger: false,
      timeouts: { request: REQUEST_MS, headers: HEADERS_MS, checkInterval: 100 },
    });
    await app.listen({ host: '127.0.0.1', port });
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('closes a connection whose body stops after the headers, with 408 request-timeout', async () => {
    const outcome = await watch(port, (socket) => void socket.write(`${head(100)}{"email":"`));
    expect(outcome.closedAfterMs).not.toBeNull();
    expect(outcome.closedAfterMs!).toBeLessThan(REQUEST_MS + 1500);
    expect(outcome.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(outcome.received).toContain('"code":"request-timeout"');
  });

  it('closes a connection that trickles its body a byte at a time', async () => {
    const outcome = await watch(port, (socket) => {
      socket.write(head(10_000));
      const trickle = setInterval(() => socket.write('x'), 100);
      return () => clearInterval(trickle);
    });
    expect(outcome.closedAfterMs).not.toBeNull();
    expect(outcome.closedAfterMs!).toBeGreaterThanOrEqual(REQUEST_MS - 100);
    expect(outcome.closedAfterMs!).toBeLessThan(REQUEST_MS + 1500);
  });

  it('closes a connection whose headers never end', async () => {
    const outcome = await watch(port, (socket) => void socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
    expect(outcome.closedAfterMs).not.toBeNull();
    expect(outcome.closedAfterMs!).toBeLessThan(HEADERS_MS + 1500);
  });

  it('closes a connection that never sends a byte, within the headers timeout (no idle socket timer needed)', async () => {
    const outcome = await watch(port, () => undefined);
    expect(outcome.closedAfterMs).not.toBeNull();
    expect(outcome.closedAfterMs!).toBeLessThan(HEADERS_MS + 1500);
  });

  it('still serves a request that arrives in time, and keeps the connection alive', async () => {
    const outcome = await watch(port, (socket) => void socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), 2 * REQUEST_MS);
    expect(outcome.received).toMatch(/^HTTP\/1\.1 200 /);
    expect(outcome.closedAfterMs).toBeNull();
  });

  it('runs `gatehouse serve` with a 30 s request timeout and a headers timeout within it', async () => {
    expect(SERVER_TIMEOUTS.request).toBe(30_000);
    expect(SERVER_TIMEOUTS.headers).toBeLessThanOrEqual(SERVER_TIMEOUTS.request);
    expect(app.server.requestTimeout).toBe(REQUEST_MS);
    expect(app.server.headersTimeout).toBe(HEADERS_MS);
  });
});
