/**
 * The scale bench's databases: a PostgreSQL schema seeded to a given size (bench/lib/seed.ts) with Gatehouse running
 * on it, and what the scenarios need from it (an admin token, access tokens of seeded sessions, a page cursor).
 */
import http from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatCount } from '../../lib/format.js';
import { bearer, jsonProbe, send, type Probe } from '../../lib/http.js';
import { BENCH_DATABASE_URL } from '../../lib/params.js';
import { startBenchServer, stopChild, type BenchServer } from '../../lib/processes.js';
import { createSchema, dropSchema, formatSteps, SEED_ADMIN, seedDatabase, seededRefreshToken, type SeedResult } from '../../lib/seed.js';

/** Sessions turned into access tokens for the token check; why: many rows of the table are read, not one hot row. */
export const TOKEN_POOL = 200;
/** Accounts per `GET /accounts` page in every paging scenario. */
export const PAGE_SIZE = 20;
/** Requests in flight while activating sessions; only their count matters there. */
const ACTIVATE_CONNECTIONS = 4;
/** A server on a big schema may take a while to start (it migrates and opens its pool first). */
const READY_TIMEOUT_MS = 120_000;
const GC_PRELOAD = fileURLToPath(new URL('../../children/gc-signal.mjs', import.meta.url));

/** How many accounts and sessions a database is seeded with. */
export interface Size {
  accounts: number;
  sessions: number;
}

/** A running bench server and where it listens. */
export interface Server extends BenchServer {
  pid: number;
  url: URL;
}

/** A seeded schema with Gatehouse running on it, and what the scenarios need from it. */
export interface Database {
  label: 'small' | 'big';
  size: Size;
  schema: string;
  seed: SeedResult;
  server: Server;
  adminToken: string;
  /** Access tokens of seeded sessions 1..TOKEN_POOL. */
  pool: string[];
  total: number;
  middlePage: number;
  /** Path of the middle page as a client following `next` links asks for it: `page=` plus the `after=` cursor. */
  middleByCursor: string;
}

/**
 * Creates and seeds a schema, starts Gatehouse on it and gathers tokens; drops the schema again if any step fails.
 * Why: each database of the comparison is a schema of its own that the bench always removes.
 */
export async function prepareDatabase(label: Database['label'], size: Size): Promise<Database> {
  const schema = `bench_scale_${process.pid}_${label}`;
  const url = await createSchema(BENCH_DATABASE_URL, schema);
  let server: Server | undefined;
  try {
    process.stderr.write(`bench: seeding the ${label} database (${formatCount(size.accounts)} accounts, ${formatCount(size.sessions)} sessions)…\n`);
    const seed = await seedDatabase({ databaseUrl: url, ...size });
    process.stderr.write(`bench: seeded in ${seed.seconds.toFixed(1)} s (${formatSteps(seed.steps)})\n`);
    server = await startServer(url);
    const adminToken = (await oauthLogin(server, SEED_ADMIN.username, SEED_ADMIN.password)).accessToken;
    const pool = await activateSessions(server, range(1, Math.min(TOKEN_POOL, size.sessions)));
    const total = await accountTotal(server, adminToken);
    const middlePage = Math.max(1, Math.ceil(total / PAGE_SIZE / 2));
    const middleByCursor = await pageByCursor(server, adminToken, middlePage);
    return { label, size, schema, seed, server, adminToken, pool, total, middlePage, middleByCursor };
  } catch (error) {
    if (server) await stopChild(server.child);
    await dropSchema(BENCH_DATABASE_URL, schema);
    throw error;
  }
}

/** Stops the database's server and drops its schema; why: a bench leaves PostgreSQL as it found it. */
export async function releaseDatabase(db: Database): Promise<void> {
  await stopChild(db.server.child);
  await dropSchema(BENCH_DATABASE_URL, db.schema);
}

/** The bench server on `databaseUrl`, with the GC hook preloaded (see bench/children/gc-signal.mjs) for the memory samples. */
async function startServer(databaseUrl: string): Promise<Server> {
  const nodeOptions = `${process.env.NODE_OPTIONS ?? ''} --import ${pathToFileURL(GC_PRELOAD).href}`.trim();
  const server = await startBenchServer('children/server.ts', ['--database-url', databaseUrl], { env: { NODE_OPTIONS: nodeOptions }, readyTimeoutMs: READY_TIMEOUT_MS });
  return { ...server, pid: server.child.pid!, url: new URL(server.base) };
}

/** `GET /accounts?page=…&size=20` as the admin. */
export function accountsPage(db: Database, page: number): Probe {
  return { method: 'GET', path: `/accounts?page=${page}&size=${PAGE_SIZE}`, headers: bearer(db.adminToken) };
}

/**
 * Sends one request and fails loudly unless it answered 200; returns the parsed body.
 * Why: the set-up must never hand a scenario a wrong token or page.
 */
export async function requestOk<T>(server: Server, agent: http.Agent, probe: Probe, what: string): Promise<T> {
  const answer = await send(server.url, agent, probe);
  if (answer.status !== 200) throw new Error(`${what}: expected 200, got ${answer.status} ${answer.body.slice(0, 300)}`);
  return JSON.parse(answer.body) as T;
}

async function oauthLogin(server: Server, login: string, password: string): Promise<{ accessToken: string }> {
  return requestOk(server, new http.Agent(), jsonProbe('POST', '/api/auth/login', { username: login, password }), `login ${login}`);
}

async function accountTotal(server: Server, adminToken: string): Promise<number> {
  const probe: Probe = { method: 'GET', path: `/accounts?page=1&size=${PAGE_SIZE}`, headers: bearer(adminToken) };
  return (await requestOk<{ total: number }>(server, new http.Agent(), probe, 'GET /accounts')).total;
}

type AccountsPage = { _links: { next?: { href: string } }; _embedded: { 'ec:account': Array<{ id: string }> } };

/**
 * The path of page `page` as a client following `next` links reaches it: the `next` link of the page before, which
 * carries `after=<cursor of its last account>`. Why fetch that page once by OFFSET before timing: the cursor is then
 * the server's own, exactly what such a client holds. Checks the cursor page shows what the OFFSET page shows, so the
 * bench never times a wrong (say, empty) page.
 */
async function pageByCursor(server: Server, adminToken: string, page: number): Promise<string> {
  const get = (path: string) => requestOk<AccountsPage>(server, new http.Agent(), { method: 'GET', path, headers: bearer(adminToken) }, `GET ${path}`);
  if (page === 1) return `/accounts?page=1&size=${PAGE_SIZE}`;
  const next = (await get(`/accounts?page=${page - 1}&size=${PAGE_SIZE}`))._links.next?.href;
  const url = next === undefined ? undefined : new URL(next);
  if (!url || url.searchParams.get('page') !== String(page) || !url.searchParams.has('after')) throw new Error(`page ${page - 1} has no next link with a cursor: ${next}`);
  const path = url.pathname + url.search;
  const ids = (body: AccountsPage) => body._embedded['ec:account'].map((account) => account.id).join();
  if (ids(await get(path)) !== ids(await get(`/accounts?page=${page}&size=${PAGE_SIZE}`))) throw new Error(`page ${page} by cursor differs from page ${page} by OFFSET`);
  return path;
}

/** Runs `work` for each item with a few requests in flight over one keep-alive agent; why: set-up, not measurement. */
export async function forEachConcurrently<T>(items: T[], work: (agent: http.Agent, item: T, index: number) => Promise<void>): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: ACTIVATE_CONNECTIONS });
  let next = 0;
  const loop = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await work(agent, items[index]!, index);
    }
  };
  try {
    await Promise.all(Array.from({ length: ACTIVATE_CONNECTIONS }, loop));
  } finally {
    agent.destroy();
  }
}

/**
 * Makes seeded sessions active the way a client would: `POST /api/auth/refresh` with the session's seeded refresh
 * token, then one authenticated `GET /auth/user` with the new access token. Returns the access tokens.
 * Why refresh and not login: the same session state without one argon2 verify (~10 ms of CPU) per session.
 */
export async function activateSessions(server: Server, sessions: number[]): Promise<string[]> {
  const tokens: string[] = new Array(sessions.length);
  await forEachConcurrently(sessions, async (agent, j, index) => {
    const { accessToken } = await requestOk<{ accessToken: string }>(server, agent, jsonProbe('POST', '/api/auth/refresh', { refreshToken: seededRefreshToken(j) }), 'refresh');
    await requestOk(server, agent, { method: 'GET', path: '/auth/user', headers: bearer(accessToken) }, 'GET /auth/user');
    tokens[index] = accessToken;
  });
  return tokens;
}

/** `from`, `from + 1`, …, `to`; why: seeded sessions are numbered. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}
