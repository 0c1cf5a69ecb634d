import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, it } from 'vitest';
import pg from 'pg';
import { createApp } from '../../src/app.js';
import { ManualClock } from '../../src/clock.js';
import { parseConfig, type Config } from '../../src/config/index.js';
import { startSmtpCapture, type SmtpCapture } from './smtp.js';
import { testDatabaseUrl, testSchemaPrefix } from './env.js';
import { freePort } from './ports.js';

export type Dialect = 'sqlite' | 'postgres';
/** Every storage-facing suite runs on both (DESIGN "Tests"). */
export const dialects: Dialect[] = ['sqlite', 'postgres'];

/**
 * `it` for the tests of a suite run on both dialects that need not run twice: on SQLite it registers the test, on
 * PostgreSQL nothing (not a skip: the run reports no skipped test). Why: a browser suite spends seconds per test; its
 * central flows run on both dialects, the page details on SQLite only — the SQL under them is the central flows'.
 */
export function sqliteOnly(dialect: Dialect): (name: string, fn: () => Promise<void>) => void {
  return (name, fn) => {
    if (dialect === 'sqlite') it(name, fn);
  };
}

/** Cheap argon2 parameters so suites stay fast; one test elsewhere keeps the production ones. */
export const fastHash = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

/** A database of its own for one test server: a temp SQLite file, or a fresh PostgreSQL schema. */
export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database for `dialect`. */
export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
    return { url: `sqlite:${join(dir, 'gatehouse.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const schema = `${testSchemaPrefix()}${randomBytes(6).toString('hex')}`;
  await adminQuery(`create schema ${schema}`);
  const separator = testDatabaseUrl.includes('?') ? '&' : '?';
  return {
    url: `${testDatabaseUrl}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    // Dropped by the global teardown, not now: Kysely's migrator reads the catalogue of every schema, and PostgreSQL
    // fails that read when another suite drops a schema at the same moment.
    drop: async () => undefined,
  };
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A plain answer from the server. */
export interface Answer {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/** A running Gatehouse on a real socket with its own database, SMTP capture and manual clock. */
export interface TestServer {
  url: string;
  app: FastifyInstance;
  config: Config;
  clock: ManualClock;
  smtp: SmtpCapture;
  database: TestDatabase;
  request(method: string, path: string, options?: { json?: unknown; body?: string; headers?: Record<string, string>; token?: string }): Promise<Answer>;
  /** Stops the app but keeps the database, to start another app on it (a restart, or a second node). */
  stop(): Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions {
  config?: Record<string, unknown>;
  env?: Record<string, string>;
  database?: TestDatabase;
  clock?: ManualClock;
  smtp?: SmtpCapture;
  /** The port to listen on (default: a free one); for tests whose `server.baseUrl` must name it, e.g. `http://localhost:<port>`. */
  port?: number;
  /** The loopback address to listen on (default 127.0.0.1); another one puts Gatehouse on a site of its own (an IdP to its apps). */
  host?: string;
}

/** Starts the real app on a free loopback port. */
export async function startServer(dialect: Dialect, options: StartOptions = {}): Promise<TestServer> {
  const database = options.database ?? (await createTestDatabase(dialect));
  const smtp = options.smtp ?? (await startSmtpCapture());
  const clock = options.clock ?? new ManualClock(Date.now());
  const port = options.port ?? (await freePort());
  const host = options.host ?? '127.0.0.1';
  const input = deepMerge(
    {
      server: { host, port, baseUrl: `http://${host}:${port}` },
      database: { url: database.url },
      email: { smtpUrl: smtp.url },
      password: { hash: fastHash },
      // Every test request comes from 127.0.0.1: the address limit is tested on its own (test/rate-limit.test.ts).
      rateLimit: { enabled: false },
    },
    options.config ?? {},
  );
  let config: Config;
  let app: FastifyInstance;
  try {
    config = parseConfig(input, options.env ?? {});
    app = await createApp(config, { clock, logger: false });
    await app.listen({ host, port });
  } catch (error) {
    // Leave nothing behind when the app does not start (a config error under test, say).
    if (!options.smtp) await smtp.close();
    if (!options.database) await database.drop();
    throw error;
  }
  const url = `http://${host}:${port}`;
  let stopped = false;
  const stop = async () => {
    if (!stopped) await app.close();
    stopped = true;
  };
  return {
    url, app, config, clock, smtp, database,
    request: (method, path, requestOptions = {}) => send(url, method, path, requestOptions),
    stop,
    close: async () => {
      await stop();
      if (!options.smtp) await smtp.close();
      if (!options.database) await database.drop();
    },
  };
}

async function send(base: string, method: string, path: string, options: { json?: unknown; body?: string; headers?: Record<string, string>; token?: string }): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  let body = options.body;
  if (options.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(options.json);
  }
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(base + path, { method, headers, body, redirect: 'manual' });
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}


/** Nested merge of plain objects (arrays and scalars replace). */
export function deepMerge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] = isPlain(current) && isPlain(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function isPlain(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A password that satisfies the default policy. */
export const goodPassword = 'Correct-Horse-42';

/** Registers and confirms an account through the API, then logs it in. */
export async function registerAndLogin(server: TestServer, email: string, password = goodPassword): Promise<{ userId: string; accessToken: string; refreshToken: string }> {
  const registered = await server.request('POST', '/api/auth/register', { json: { email, password } });
  if (registered.status !== 201) throw new Error(`register failed: ${registered.status} ${registered.text}`);
  const mail = await server.smtp.waitFor((m) => m.to.includes(email) && m.subject.includes('Confirm'));
  const confirmed = await fetch(server.smtp.linkIn(mail, '/auth/confirm/'));
  if (confirmed.status !== 200) throw new Error(`confirm failed: ${confirmed.status}`);
  const login = await server.request('POST', '/api/auth/login', { json: { email, password } });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text}`);
  return login.body;
}

/** Two nodes of one cluster: one database, one mail capture, one clock. */
export interface TwoNodes {
  a: TestServer;
  b: TestServer;
  database: TestDatabase;
}

/**
 * Starts two nodes on one fresh database before the suite and stops them after it; why: a rule that must hold
 * across the cluster (a one-time code, a claim) is tested where a second node can race the first.
 */
export function useTwoNodes(dialect: Dialect, options: StartOptions = {}): TwoNodes {
  const nodes = {} as TwoNodes;
  beforeAll(async () => {
    nodes.database = await createTestDatabase(dialect);
    nodes.a = await startServer(dialect, { ...options, database: nodes.database });
    nodes.b = await startServer(dialect, { ...options, database: nodes.database, smtp: nodes.a.smtp, clock: nodes.a.clock });
  });
  afterAll(async () => {
    await nodes.b?.close();
    await nodes.a?.close();
    await nodes.database?.drop();
  });
  return nodes;
}
