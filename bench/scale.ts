/**
 * Issue 7 "Scale": Gatehouse on PostgreSQL with 1,000,000 accounts and 1,000,000 sessions against the same server on
 * 1,000 of each — login and token-check latency within 1.2×, `GET /accounts` paging, memory per 10,000 active sessions.
 * Each database is a schema of its own (seeded by bench/seed.ts, dropped afterwards) served by its own child process.
 * Alone: `npm run build && node --import tsx bench/scale.ts --standalone` (prints the JSON, writes results/scale-latest.json).
 * `BENCH_SCALE_ACCOUNTS=100000` shrinks the big database while developing; `BENCH_DATABASE_URL` picks the server.
 */
import http from 'node:http';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { cpuMark, machineBusySeconds, processCpuSeconds, waitForQuietMachine } from './cpu.js';
import type { ScenarioResult } from './load.js';
import { TIMING } from './params.js';
import { installCleanup, spawnBenchChild, stopChild, waitForLine } from './processes.js';
import { createSchema, dropSchema, formatSteps, SEED_ADMIN, SEED_PASSWORD, seedDatabase, seededEmail, seededRefreshToken, type SeedResult } from './seed.js';
import { ratioTarget, type Measured, type Target } from './targets.js';

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SMALL: Size = { accounts: 1_000, sessions: 1_000 };
/** Sessions turned into access tokens for the token check; why: many rows of the table are read, not one hot row. */
const TOKEN_POOL = 200;
/** Active sessions per memory step, as the issue asks. */
const MEMORY_BATCH = 10_000;
const PAGE_SIZE = 20;
/** Login connections: both argon2 slots busy, nothing queued, so latency and not queueing is measured. */
const LOGIN_CONNECTIONS = 2;
/** Token checks and pages one at a time: the server's own latency, not its event-loop queue. */
const READ_CONNECTIONS = 1;
/** Requests in flight while activating sessions for the memory step; only their count matters there. */
const ACTIVATE_CONNECTIONS = 4;
const READY_TIMEOUT_MS = 120_000;
const QUIET_WAIT_MS = 10_000;
/** Idle time before a memory sample, so in-flight work has finished. */
const SETTLE_MS = 1_000;
const MIB = 1024 * 1024;
const GC_PRELOAD = fileURLToPath(new URL('./gc-signal.mjs', import.meta.url));
const RESULTS_FILE = new URL('./results/scale-latest.json', import.meta.url);

interface Size {
  accounts: number;
  sessions: number;
}

/** A request of a latency loop. */
interface Probe {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** An HTTP run timed request by request; the ms fields are fractional (µs resolution). */
export interface LatencyResult extends ScenarioResult {
  meanMs: number;
}

/** Server memory after a full GC around two batches of newly active sessions, with a control run between them. */
export interface MemoryResult {
  batch: number;
  /** V8 heap in use growth per batch of distinct new sessions, MiB: first batch, second batch. */
  heapBatchesMiB: [number, number];
  /** RSS (VmRSS) growth per batch, MiB. */
  rssBatchesMiB: [number, number];
  /** Heap growth while the first batch's tokens were used again (no new session), MiB. */
  heapControlMiB: number;
  /** Samples after each step: before, first batch, control, second batch. */
  heapMiB: number[];
  rssMiB: number[];
}

/** A seeded schema with Gatehouse running on it, and what the scenarios need from it. */
interface Database {
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

/** A running bench server. */
interface Server {
  child: ChildProcess;
  pid: number;
  url: URL;
}

/** One scenario, run against both databases. */
interface Scenario {
  key: string;
  what: (db: Database) => string;
  connections: number;
  probe: (db: Database) => (i: number) => Probe;
}

/** Both databases' results of one scenario. */
type Compared = Record<Database['label'], LatencyResult>;

/** The big database's size; why: `BENCH_SCALE_ACCOUNTS` keeps development runs short, the size is the default. */
function bigSize(): Size {
  const accounts = Number(process.env.BENCH_SCALE_ACCOUNTS) > 0 ? Math.floor(Number(process.env.BENCH_SCALE_ACCOUNTS)) : 1_000_000;
  return { accounts, sessions: accounts };
}

const SCENARIOS: Scenario[] = [
  {
    key: 'login',
    what: () => `POST /api/auth/login, ${LOGIN_CONNECTIONS} connections`,
    connections: LOGIN_CONNECTIONS,
    // Accounts spread through the whole table, each with the seeded password.
    probe: (db) => (i) => json('POST', '/api/auth/login', { email: seededEmail(1 + ((i * 104_729) % db.size.accounts)), password: SEED_PASSWORD }),
  },
  {
    key: 'token-check',
    what: (db) => `GET /auth/user, bearer tokens of ${db.pool.length} sessions`,
    connections: READ_CONNECTIONS,
    probe: (db) => (i) => ({ method: 'GET', path: '/auth/user', headers: bearer(db.pool[i % db.pool.length]!) }),
  },
  {
    key: 'accounts-first-page',
    what: () => `GET /accounts?page=1&size=${PAGE_SIZE}`,
    connections: READ_CONNECTIONS,
    probe: (db) => () => accountsPage(db, 1),
  },
  {
    key: 'accounts-middle-page',
    what: (db) => `GET /accounts?page=${db.middlePage}&size=${PAGE_SIZE}&after=… (middle page by the previous page's next link)`,
    connections: READ_CONNECTIONS,
    probe: (db) => () => ({ method: 'GET', path: db.middleByCursor, headers: bearer(db.adminToken) }),
  },
  {
    // Informational, no target: what a client jumping to a page number pays (OFFSET skips every earlier entry).
    key: 'accounts-middle-page-offset',
    what: (db) => `GET /accounts?page=${db.middlePage}&size=${PAGE_SIZE} (middle page by OFFSET, no cursor)`,
    connections: READ_CONNECTIONS,
    probe: (db) => () => accountsPage(db, db.middlePage),
  },
];

/**
 * Seeds both databases, keeps both servers up, and runs every scenario on both, alternating request by request
 * (see {@link compare}); then memory on the big one.
 */
export async function measureScale(): Promise<Measured> {
  const opened: Database[] = [];
  try {
    opened.push(await prepareDatabase('small', SMALL));
    opened.push(await prepareDatabase('big', bigSize()));
    const [small, big] = opened as [Database, Database];
    const results: Record<string, Compared> = {};
    for (const scenario of SCENARIOS) results[scenario.key] = await compare(scenario, small, big);
    const memory = await measureMemory(big);
    return {
      targets: targets(results, small, big),
      runs: Object.fromEntries(Object.entries(results).flatMap(([key, r]) => [[`scale-${key}-small`, r.small], [`scale-${key}-big`, r.big]])),
      notes: notes(results, small, big, memory),
    };
  } finally {
    for (const db of opened.reverse()) await releaseDatabase(db);
  }
}

/** Creates and seeds a schema, starts Gatehouse on it and gathers tokens; drops the schema again if any step fails. */
async function prepareDatabase(label: Database['label'], size: Size): Promise<Database> {
  const schema = `bench_scale_${process.pid}_${label}`;
  const url = await createSchema(DATABASE_URL, schema);
  let server: Server | undefined;
  try {
    process.stderr.write(`bench: seeding the ${label} database (${count(size.accounts)} accounts, ${count(size.sessions)} sessions)…\n`);
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
    await dropSchema(DATABASE_URL, schema);
    throw error;
  }
}

async function releaseDatabase(db: Database): Promise<void> {
  await stopChild(db.server.child);
  await dropSchema(DATABASE_URL, db.schema);
}

/** The bench server on `databaseUrl`, with the GC hook preloaded (see bench/gc-signal.mjs) for the memory samples. */
async function startServer(databaseUrl: string): Promise<Server> {
  const nodeOptions = `${process.env.NODE_OPTIONS ?? ''} --import ${pathToFileURL(GC_PRELOAD).href}`.trim();
  const child = spawnBenchChild('server.ts', ['--port', '0', '--database-url', databaseUrl], { NODE_OPTIONS: nodeOptions });
  const port = await waitForLine(child, 'READY ', READY_TIMEOUT_MS);
  return { child, pid: child.pid!, url: new URL(`http://127.0.0.1:${port}`) };
}

/**
 * One scenario on both databases, alternating request by request: every connection sends to the small server, then
 * the big one, then the small one again… Why: on a shared two-core machine a neighbour's burst or a checkpoint then
 * lands on both sides alike, so the ratio measures the databases and not the moment. Warm-up the same way, discarded.
 * Each side gets as many requests as a run of its own of TIMING.durationSeconds would.
 */
async function compare(scenario: Scenario, small: Database, big: Database): Promise<Compared> {
  if (!(await waitForQuietMachine(QUIET_WAIT_MS))) process.stderr.write(`bench: the machine is busy with other programs; measuring anyway\n`);
  process.stderr.write(`bench: ${scenario.what(big)}, ${count(small.size.accounts)} vs ${count(big.size.accounts)} accounts, alternating ` +
    `(${2 * TIMING.warmupSeconds} s warm-up + ${2 * TIMING.durationSeconds} s)…\n`);
  const warmup = await alternate(scenario, [small, big], 2 * TIMING.warmupSeconds);
  const [s, b] = await alternate(scenario, [small, big], 2 * TIMING.durationSeconds);
  return { small: summarize(s!, warmup[0]!.failures), big: summarize(b!, warmup[1]!.failures) };
}

/** What one side of an alternating run measured, CPU included. */
interface LoopRun {
  durationsMs: number[];
  statusCodes: Record<string, number>;
  errors: number;
  failures: number;
  seconds: number;
  serverCpuSeconds: number | null;
  /** The load generator's CPU over the whole run (shared by both sides). */
  loadgenCpuSeconds: number;
  /** CPU seconds programs other than the two servers and the load generator used meanwhile; null off Linux. */
  otherCpuSeconds: number | null;
}

/**
 * `connections` loops, each sending one request after another for `seconds`, taking the databases in turn
 * (connection c starts with database c, so the requests in flight are mixed too), each request timed with
 * `performance.now()` over keep-alive HTTP. Why not autocannon: its 1 ms resolution hides a sub-millisecond check.
 */
async function alternate(scenario: Scenario, dbs: Database[], seconds: number): Promise<LoopRun[]> {
  const sides = dbs.map((db) => ({
    db,
    probe: scenario.probe(db),
    agent: new http.Agent({ keepAlive: true, maxSockets: scenario.connections }),
    next: 0,
    cpuBefore: processCpuSeconds(db.server.pid),
    run: { durationsMs: [], statusCodes: {}, errors: 0, failures: 0, seconds: 0, serverCpuSeconds: null, loadgenCpuSeconds: 0, otherCpuSeconds: null } as LoopRun,
  }));
  const mark = cpuMark();
  const loadgenBefore = process.cpuUsage();
  const end = mark.at + seconds * 1000;
  const loop = async (connection: number): Promise<void> => {
    for (let turn = connection; performance.now() < end; turn++) {
      const side = sides[turn % sides.length]!;
      await timeOne(side.db.server.url, side.agent, side.probe(side.next++), side.run);
    }
  };
  try {
    await Promise.all(Array.from({ length: scenario.connections }, (_, c) => loop(c)));
  } finally {
    for (const side of sides) side.agent.destroy();
  }
  const elapsed = (performance.now() - mark.at) / 1000;
  const loadgen = process.cpuUsage(loadgenBefore);
  for (const side of sides) {
    const after = processCpuSeconds(side.db.server.pid);
    Object.assign(side.run, { seconds: elapsed, loadgenCpuSeconds: (loadgen.user + loadgen.system) / 1e6, serverCpuSeconds: side.cpuBefore === null || after === null ? null : after - side.cpuBefore });
  }
  const busy = machineBusySeconds();
  const ours = sum(sides.map((side) => side.run.serverCpuSeconds ?? 0)) + sides[0]!.run.loadgenCpuSeconds;
  const other = busy === null || mark.machine === null ? null : Math.max(0, busy - mark.machine - ours);
  return sides.map((side) => ({ ...side.run, otherCpuSeconds: other }));
}

async function timeOne(url: URL, agent: http.Agent, request: Probe, run: LoopRun): Promise<void> {
  const t0 = performance.now();
  try {
    const { status } = await send(url, agent, request);
    run.durationsMs.push(performance.now() - t0);
    run.statusCodes[status] = (run.statusCodes[status] ?? 0) + 1;
    if (status < 200 || status > 299) run.failures++;
  } catch {
    run.errors++;
    run.failures++;
  }
}

/** One side of an alternating run in the shape of the other bench runs (rps: this server's share). */
function summarize(run: LoopRun, warmupFailures: number): LatencyResult {
  const sorted = [...run.durationsMs].sort((a, b) => a - b);
  const ok = sum(Object.entries(run.statusCodes).filter(([code]) => code.startsWith('2')).map(([, n]) => n));
  return {
    rps: ok / run.seconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    meanMs: sum(sorted) / Math.max(sorted.length, 1),
    requests: sorted.length + run.errors,
    errors: run.errors,
    timeouts: 0,
    non2xx: sorted.length - ok,
    statusCodes: run.statusCodes,
    seconds: run.seconds,
    serverCpuCores: run.serverCpuSeconds === null ? null : run.serverCpuSeconds / run.seconds,
    loadgenCpuCores: run.loadgenCpuSeconds / run.seconds,
    otherCpuCores: run.otherCpuSeconds === null ? null : run.otherCpuSeconds / run.seconds,
    warmupFailures,
  };
}

function percentile(sorted: number[], q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function sum(values: number[]): number {
  return values.reduce((total, n) => total + n, 0);
}

/** One request over the agent; resolves with the status and body once the body is read. */
function send(url: URL, agent: http.Agent, probe: Probe): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: url.hostname, port: url.port, path: probe.path, method: probe.method, headers: probe.headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(probe.body);
  });
}

function json(method: Probe['method'], path: string, body: unknown): Probe {
  const text = JSON.stringify(body);
  return { method, path, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) }, body: text };
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

function accountsPage(db: Database, page: number): Probe {
  return { method: 'GET', path: `/accounts?page=${page}&size=${PAGE_SIZE}`, headers: bearer(db.adminToken) };
}

/** Sends one request and fails loudly unless it answered 200; returns the parsed body. */
async function expectOk<T>(server: Server, agent: http.Agent, probe: Probe, what: string): Promise<T> {
  const answer = await send(server.url, agent, probe);
  if (answer.status !== 200) throw new Error(`${what}: expected 200, got ${answer.status} ${answer.body.slice(0, 300)}`);
  return JSON.parse(answer.body) as T;
}

async function oauthLogin(server: Server, login: string, password: string): Promise<{ accessToken: string }> {
  return expectOk(server, new http.Agent(), json('POST', '/api/auth/login', { username: login, password }), `login ${login}`);
}

async function accountTotal(server: Server, adminToken: string): Promise<number> {
  const probe: Probe = { method: 'GET', path: `/accounts?page=1&size=${PAGE_SIZE}`, headers: bearer(adminToken) };
  return (await expectOk<{ total: number }>(server, new http.Agent(), probe, 'GET /accounts')).total;
}

type AccountsPage = { _links: { next?: { href: string } }; _embedded: { 'ec:account': Array<{ id: string }> } };

/**
 * The path of page `page` as a client following `next` links reaches it: the `next` link of the page before, which
 * carries `after=<cursor of its last account>`. Why fetch that page once by OFFSET before timing: the cursor is then
 * the server's own, exactly what such a client holds. Checks the cursor page shows what the OFFSET page shows, so the
 * bench never times a wrong (say, empty) page.
 */
async function pageByCursor(server: Server, adminToken: string, page: number): Promise<string> {
  const get = (path: string) => expectOk<AccountsPage>(server, new http.Agent(), { method: 'GET', path, headers: bearer(adminToken) }, `GET ${path}`);
  if (page === 1) return `/accounts?page=1&size=${PAGE_SIZE}`;
  const next = (await get(`/accounts?page=${page - 1}&size=${PAGE_SIZE}`))._links.next?.href;
  const url = next === undefined ? undefined : new URL(next);
  if (!url || url.searchParams.get('page') !== String(page) || !url.searchParams.has('after')) throw new Error(`page ${page - 1} has no next link with a cursor: ${next}`);
  const path = url.pathname + url.search;
  const ids = (body: AccountsPage) => body._embedded['ec:account'].map((account) => account.id).join();
  if (ids(await get(path)) !== ids(await get(`/accounts?page=${page}&size=${PAGE_SIZE}`))) throw new Error(`page ${page} by cursor differs from page ${page} by OFFSET`);
  return path;
}

/** Runs `work` for each item with ACTIVATE_CONNECTIONS in flight over one keep-alive agent. */
async function forEachConcurrently<T>(items: T[], work: (agent: http.Agent, item: T, index: number) => Promise<void>): Promise<void> {
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
async function activateSessions(server: Server, sessions: number[]): Promise<string[]> {
  const tokens: string[] = new Array(sessions.length);
  await forEachConcurrently(sessions, async (agent, j, index) => {
    const { accessToken } = await expectOk<{ accessToken: string }>(server, agent, json('POST', '/api/auth/refresh', { refreshToken: seededRefreshToken(j) }), 'refresh');
    await expectOk(server, agent, { method: 'GET', path: '/auth/user', headers: bearer(accessToken) }, 'GET /auth/user');
    tokens[index] = accessToken;
  });
  return tokens;
}

/** Uses already active sessions once more: the control of {@link measureMemory}. */
async function reuseTokens(server: Server, tokens: string[]): Promise<void> {
  await forEachConcurrently(tokens, async (agent, token) => {
    await expectOk(server, agent, { method: 'GET', path: '/auth/user', headers: bearer(token) }, 'GET /auth/user');
  });
}

/**
 * Server memory after a full GC, before and after 10,000 distinct seeded sessions each made one authenticated
 * request — twice, with a control in between (the first batch's tokens used again: no new session, the same
 * request work). Why two batches: agreeing batches and a flat control mean the growth is what the server keeps
 * per session. Sessions 1..TOKEN_POOL are the token pool, so the batches start after it.
 */
async function measureMemory(db: Database): Promise<MemoryResult | null> {
  const batch = Math.min(MEMORY_BATCH, Math.floor((db.size.sessions - TOKEN_POOL) / 2));
  if (batch < 1) return null;
  process.stderr.write(`bench: memory, 2 × ${count(batch)} sessions made active (POST /api/auth/refresh + GET /auth/user)…\n`);
  const samples = [await memorySample(db.server)];
  const first = await activateSessions(db.server, range(TOKEN_POOL + 1, TOKEN_POOL + batch));
  samples.push(await memorySample(db.server));
  await reuseTokens(db.server, first);
  samples.push(await memorySample(db.server));
  await activateSessions(db.server, range(TOKEN_POOL + batch + 1, TOKEN_POOL + 2 * batch));
  samples.push(await memorySample(db.server));
  const heap = samples.map((s) => s.heapUsed / MIB);
  const rss = samples.map((s) => s.rss / MIB);
  const growth = (values: number[], from: number): number => values[from + 1]! - values[from]!;
  return {
    batch,
    heapBatchesMiB: [growth(heap, 0), growth(heap, 2)],
    rssBatchesMiB: [growth(rss, 0), growth(rss, 2)],
    heapControlMiB: growth(heap, 1),
    heapMiB: heap,
    rssMiB: rss,
  };
}

/** Asks the server for a full GC (SIGUSR2, bench/gc-signal.mjs), then reads its heap in use and its VmRSS. */
async function memorySample(server: Server): Promise<{ rss: number; heapUsed: number }> {
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const answer = waitForLine(server.child, 'GC ', 30_000);
  server.child.kill('SIGUSR2');
  const { heapUsed } = JSON.parse(await answer) as { heapUsed: number };
  return { heapUsed, rss: rssBytes(server.pid) };
}

/** VmRSS of a process from /proc, in bytes. */
function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

/**
 * Latency targets compare medians (p50): the typical request, not one GC pause or checkpoint.
 * Paging has two: page 1 on the big database against the small one (a page must not cost more as the table
 * grows), and the middle page reached as a client following `next` links reaches it (by cursor) against page 1 on
 * the big database (paging deep must not cost more either). The middle page by OFFSET is reported, not targeted.
 */
function targets(results: Record<string, Compared>, small: Database, big: Database): Target[] {
  const sizes = `${count(big.size.accounts)} vs ${count(small.size.accounts)} accounts`;
  const sizeTarget = (key: string, id: string, name: string): Target => {
    const { small: s, big: b } = results[key]!;
    return ratioTarget({ id, name: `${name} p50, ${sizes}`, measured: latencyCell(b), baseline: latencyCell(s), target: 1.2, direction: 'atMost' }, b.p50Ms, s.p50Ms);
  };
  const middle = results['accounts-middle-page']!.big;
  const first = results['accounts-first-page']!.big;
  return [
    sizeTarget('login', 'scale-login', 'POST /api/auth/login'),
    sizeTarget('token-check', 'scale-token-check', 'GET /auth/user (bearer)'),
    sizeTarget('accounts-first-page', 'scale-accounts-page-size', `GET /accounts?page=1&size=${PAGE_SIZE}`),
    ratioTarget({
      id: 'scale-accounts-page-depth', name: `GET /accounts page ${count(big.middlePage)} by cursor (next link) vs page 1 p50, ${count(big.size.accounts)} accounts`,
      measured: latencyCell(middle), baseline: latencyCell(first), target: 1.2, direction: 'atMost',
    }, middle.p50Ms, first.p50Ms),
  ];
}

function notes(results: Record<string, Compared>, small: Database, big: Database, memory: MemoryResult | null): string[] {
  const seeded = (db: Database) => `${count(db.size.accounts)} accounts + ${count(db.size.sessions)} sessions seeded in ${db.seed.seconds.toFixed(1)} s (${formatSteps(db.seed.steps)})`;
  const smallMiddle = results['accounts-middle-page']!.small;
  const offset = results['accounts-middle-page-offset']!;
  return [
    `Scale: PostgreSQL, one schema per database, both servers up, every scenario alternating requests between them. ${seeded(small)}; ${seeded(big)}.`,
    `Latencies timed per request with performance.now() over keep-alive HTTP (${LOGIN_CONNECTIONS} connections for login, ${READ_CONNECTIONS} for reads); ` +
      `login cycles over seeded accounts spread through the table, the token check over ${TOKEN_POOL} seeded sessions' access tokens. ` +
      "CPU outside the two servers and the load generator (otherCpuCores) includes PostgreSQL's own work.",
    `GET /accounts: total ${count(big.total)} on the big database (middle page ${count(big.middlePage)}), ${count(small.total)} on the small one ` +
      `(middle page ${small.middlePage} by cursor: ${latencyCell(smallMiddle)}). The middle page is reached as a client following next links ` +
      `reaches it (page=&after=<cursor of the previous page's last account>). Informational, no target: the same page by OFFSET alone ` +
      `(page= only) takes ${latencyCell(offset.big)} on the big database, ${latencyCell(offset.small)} on the small one.`,
    memoryNote(memory),
  ];
}

function memoryNote(memory: MemoryResult | null): string {
  if (!memory) return 'Memory: not measured (too few seeded sessions).';
  const [a, b] = memory.heapBatchesMiB;
  const [ra, rb] = memory.rssBatchesMiB;
  return `Memory per ${count(memory.batch)} active sessions, after a full GC: V8 heap +${a.toFixed(1)} MiB (first batch), +${b.toFixed(1)} MiB (second); ` +
    `RSS ${signed(ra)} / ${signed(rb)} MiB; control (first batch's tokens used again) heap ${signed(memory.heapControlMiB)} MiB. ` +
    `Heap ${memory.heapMiB.map((m) => m.toFixed(0)).join(' → ')} MiB, RSS ${memory.rssMiB.map((m) => m.toFixed(0)).join(' → ')} MiB. ` +
    'Sessions made active via POST /api/auth/refresh with seeded refresh tokens, then one GET /auth/user each.';
}

/** `p50 412 µs, p99 1.3 ms, mean 450 µs (8,000 req)` */
export function latencyCell(r: LatencyResult): string {
  return `p50 ${duration(r.p50Ms)}, p99 ${duration(r.p99Ms)}, mean ${duration(r.meanMs)} (${count(r.requests)} req)`;
}

function duration(ms: number): string {
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  return ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(ms >= 10 ? 1 : 2)} ms`;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function signed(n: number): string {
  return `${n >= 0 ? '+' : ''}${n.toFixed(1)}`;
}

async function standalone(): Promise<void> {
  installCleanup();
  const measured = await measureScale();
  const text = `${JSON.stringify({ date: new Date().toISOString(), settings: { ...TIMING, small: SMALL, big: bigSize() }, ...measured }, null, 2)}\n`;
  const tmp = new URL(`${RESULTS_FILE.href}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, RESULTS_FILE);
  process.stdout.write(text);
}

// `--standalone` runs the scale bench alone; importing this module (bench/run.ts) runs nothing.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href && process.argv.includes('--standalone')) {
  standalone().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`scale bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
