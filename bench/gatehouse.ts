/**
 * Gatehouse's side of the bench: starts bench/server.ts (the built dist/) on SQLite or on a PostgreSQL schema of its
 * own, signs the bench user in every way the scenarios need, and measures each scenario against it.
 */
import type { ChildProcess } from 'node:child_process';
import { waitForQuietMachine } from './cpu.js';
import { measureInTurns, measureSideBySide, type LoadTarget, type ScenarioResult } from './load.js';
import { BENCH_DATABASE_URL, BENCH_USER, CONNECTIONS, HASH_CONCURRENCY, TIMING, USER_PATH } from './params.js';
import { spawnBenchChild, stopChild, waitForLine } from './processes.js';
import { startArgon2Turns, startSigningTurns, type RawTurns } from './raw-child.js';
import { combinedStretches, type RawResult } from './raw-loop.js';
import { measureRefreshInTurns } from './refresh-load.js';
import { createSchema, dropSchema } from './seed.js';

const READY_TIMEOUT_MS = 60_000;
/** Longest wait for an idle machine before each run; keeps a busy machine from stalling the bench for long. */
const QUIET_WAIT_MS = 10_000;
/** The auth cookie's name (the `cookie.name` default). */
const COOKIE_NAME = 'auth_token';

/** A started bench server. */
export interface BenchServer {
  child: ChildProcess;
  base: string;
}

/** What the signed-in bench user holds: a bearer JWT, a cookie session, and the answer both should get. */
export interface Credentials {
  accessToken: string;
  cookie: string;
  userJson: string;
}

/** Starts a bench server script and returns it with its base URL. */
export async function startBenchServer(script: string, args: string[] = [], env: Record<string, string> = {}): Promise<BenchServer> {
  // An explicit port 0 so a PORT variable in the shell can't pick one that is taken.
  const child = spawnBenchChild(script, ['--port', '0', ...args], env);
  const port = await waitForLine(child, 'READY ', READY_TIMEOUT_MS);
  return { child, base: `http://127.0.0.1:${port}` };
}

/** Announces the next run after waiting (briefly) for other programs to leave the CPU alone. */
export async function announce(what: string, warmupSeconds: number = TIMING.warmupSeconds): Promise<void> {
  if (!(await waitForQuietMachine(QUIET_WAIT_MS))) process.stderr.write(`bench: the machine is busy with other programs; measuring anyway\n`);
  process.stderr.write(`bench: ${what} (${warmupSeconds} s warm-up + ${TIMING.durationSeconds} s)…\n`);
}

/** Runs, and the raw baselines measured in turns with them. */
export interface Measurements<Raw> {
  runs: Record<string, ScenarioResult>;
  raw: Raw;
}

/**
 * Every Gatehouse scenario on the temp SQLite database: the logins (each in turns with raw argon2id verifies, and
 * after them the bare login for context), the authenticated read (in turns with the bare route), refresh (in turns
 * with raw RS512 signing). Answers the runs and the raw stretches measured in turns with each login and with the
 * refresh, each as one.
 */
export async function measureGatehouseSqlite(): Promise<Measurements<{ argon2: Record<Login, RawResult>; signing: RawResult }>> {
  const server = await startBenchServer('server.ts');
  try {
    const credentials = await signIn(server.base);
    const runs: Record<string, ScenarioResult> = {};
    const argon2 = await startArgon2Turns();
    let rawByLogin: Record<Login, RawResult>;
    try {
      rawByLogin = await measureLoginsInTurns(server, argon2, runs);
    } finally {
      await argon2.stop();
    }
    Object.assign(runs, await measureReadsBesideBare(server, credentials));
    const refresh = await measureRefreshOn(server);
    runs['POST /api/auth/refresh (SQLite)'] = refresh.result;
    return { runs, raw: { argon2: rawByLogin, signing: refresh.signing } };
  } finally {
    await stopChild(server.child);
  }
}

/** The two password logins of target 1. */
export const LOGINS = ['POST /api/auth/login', 'POST /auth/cookie'] as const;
/** The least an HTTP login can be (bench/bare-login.ts): no target of its own, it shows how close the logins could get. */
export const BARE_LOGIN = "POST /api/auth/login (bare Fastify route, Gatehouse's hasher)";
export type Login = (typeof LOGINS)[number] | typeof BARE_LOGIN;

/**
 * Each login run in turns with raw argon2id verifies: Gatehouse's two logins, then the bare login on a server of
 * its own. Adds the runs to `runs`; answers the raw stretches measured with each.
 */
async function measureLoginsInTurns(server: BenchServer, argon2: RawTurns, runs: Record<string, ScenarioResult>): Promise<Record<Login, RawResult>> {
  const rawByLogin = {} as Record<Login, RawResult>;
  const measure = async (name: Login, target: LoadTarget): Promise<void> => {
    await announce(`${name}, ${CONNECTIONS} connections, in turns with raw argon2id verify (${HASH_CONCURRENCY} in flight)`, TIMING.loginWarmupSeconds);
    const { result, others } = await measureInTurns(target, (seconds) => argon2.measure(seconds));
    runs[name] = result;
    rawByLogin[name] = combinedStretches(others);
  };
  await measure('POST /api/auth/login', apiLogin(server));
  await measure('POST /auth/cookie', { ...apiLogin(server), url: `${server.base}/auth/cookie`, headers: form, body: cookieForm() });
  const bare = await startBenchServer('bare-login.ts');
  try {
    await measure(BARE_LOGIN, apiLogin(bare));
  } finally {
    await stopChild(bare.child);
  }
  return rawByLogin;
}

/** `POST /api/auth/login` with the bench user's password, warmed up as logins are. */
function apiLogin(server: BenchServer): LoadTarget {
  return {
    url: `${server.base}/api/auth/login`, method: 'POST', headers: json, body: JSON.stringify(BENCH_USER),
    serverPid: server.child.pid!, warmupSeconds: TIMING.loginWarmupSeconds,
  };
}

/**
 * `GET /auth/user` with a bearer JWT and with a cookie, each in turns with the same GET on a bare Fastify route
 * serving Gatehouse's answer (bench/bare-server.ts), so both see the machine as it was.
 */
async function measureReadsBesideBare(server: BenchServer, credentials: Credentials): Promise<Record<string, ScenarioResult>> {
  const bare = await startBenchServer('bare-server.ts', [], { BENCH_BODY: credentials.userJson });
  try {
    const runs: Record<string, ScenarioResult> = {};
    for (const [kind, headers] of [['bearer', bearer(credentials.accessToken)], ['cookie', cookie(credentials.cookie)]] as const) {
      await announce(`GET ${USER_PATH} with a ${kind === 'bearer' ? 'bearer JWT' : 'session cookie'}, in turns with a bare Fastify route`);
      const [gatehouse, baseline] = await measureSideBySide(
        { url: server.base + USER_PATH, method: 'GET', headers, serverPid: server.child.pid! },
        { url: bare.base + USER_PATH, method: 'GET', headers, serverPid: bare.child.pid! },
      );
      runs[`GET ${USER_PATH} (${kind})`] = gatehouse;
      runs[`GET ${USER_PATH} (bare Fastify, ${kind} header)`] = baseline;
    }
    return runs;
  } finally {
    await stopChild(bare.child);
  }
}

/** Refresh with rotation on PostgreSQL, in a schema of its own that is dropped afterwards. */
export async function measureGatehousePostgres(): Promise<Measurements<{ signing: RawResult }>> {
  const schema = `bench_${process.pid}_${Date.now()}`;
  const url = await createSchema(BENCH_DATABASE_URL, schema);
  try {
    const server = await startBenchServer('server.ts', ['--database-url', url]);
    try {
      await register(server.base);
      const refresh = await measureRefreshOn(server);
      return { runs: { 'POST /api/auth/refresh (PostgreSQL)': refresh.result }, raw: { signing: refresh.signing } };
    } finally {
      await stopChild(server.child);
    }
  } finally {
    await dropSchema(BENCH_DATABASE_URL, schema);
  }
}

/** One session per connection, each refreshed along its own chain, in turns with raw RS512 signing. */
async function measureRefreshOn(server: BenchServer): Promise<{ result: ScenarioResult; signing: RawResult }> {
  const refreshTokens: string[] = [];
  for (let i = 0; i < CONNECTIONS; i++) refreshTokens.push((await login(server.base)).refreshToken);
  const signing = await startSigningTurns();
  try {
    await announce(`POST /api/auth/refresh, ${CONNECTIONS} rotating chains, in turns with raw RS512 signing (${CONNECTIONS} in flight)`);
    const { result, others } = await measureRefreshInTurns({ base: server.base, refreshTokens, serverPid: server.child.pid! }, (seconds) => signing.measure(seconds));
    return { result, signing: combinedStretches(others) };
  } finally {
    await signing.stop();
  }
}

/** Registers the bench user, logs in by API and by cookie, and checks both credentials answer the same user. */
async function signIn(base: string): Promise<Credentials> {
  await register(base);
  const { accessToken } = await login(base);
  const cookieLogin = await fetch(`${base}/auth/cookie`, { method: 'POST', headers: form, body: cookieForm() });
  await expectStatus(cookieLogin, 200, 'cookie login');
  const session = cookieLogin.headers.getSetCookie().map((line) => line.split(';')[0]!).find((pair) => pair.startsWith(`${COOKIE_NAME}=`));
  if (!session) throw new Error(`cookie login set no ${COOKIE_NAME} cookie`);
  const viaBearer = await fetch(base + USER_PATH, { headers: bearer(accessToken) });
  await expectStatus(viaBearer, 200, `GET ${USER_PATH} (bearer)`);
  const userJson = await viaBearer.text();
  const viaCookie = await fetch(base + USER_PATH, { headers: cookie(session) });
  const cookieJson = await viaCookie.text();
  // A guest answer is a 200 too: only the same user proves the cookie was honoured.
  if (JSON.parse(cookieJson).id !== JSON.parse(userJson).id || JSON.parse(userJson).id === '_guest') throw new Error(`GET ${USER_PATH}: the cookie and the bearer token answer different users`);
  return { accessToken, cookie: session, userJson };
}

async function register(base: string): Promise<void> {
  await expectStatus(await fetch(`${base}/api/auth/register`, { method: 'POST', headers: json, body: JSON.stringify(BENCH_USER) }), 201, 'register');
}

async function login(base: string): Promise<{ accessToken: string; refreshToken: string }> {
  const answer = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: json, body: JSON.stringify(BENCH_USER) });
  await expectStatus(answer, 200, 'login');
  return (await answer.json()) as { accessToken: string; refreshToken: string };
}

async function expectStatus(response: Response, status: number, what: string): Promise<void> {
  if (response.status !== status) throw new Error(`${what}: expected ${status}, got ${response.status} ${await response.clone().text()}`);
}

const json = { 'content-type': 'application/json' };
const form = { 'content-type': 'application/x-www-form-urlencoded' };

function cookieForm(): string {
  return new URLSearchParams({ auth_username: BENCH_USER.email, auth_password: BENCH_USER.password }).toString();
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

function cookie(pair: string): Record<string, string> {
  return { cookie: pair };
}
