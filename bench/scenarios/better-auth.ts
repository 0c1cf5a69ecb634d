/**
 * The better-auth comparison of issue 7 (target 4): better-auth 1.7.25 on SQLite, set up as its docs show, measured
 * with the same load generator, connections and durations as Gatehouse. Measures the session check
 * `GET /api/auth/get-session` and sign-in with its default scrypt, sign-in again with argon2id at Gatehouse's cost, and
 * the session check again with its cookie cache; then Gatehouse's own runs against them ({@link compareWithBetterAuth}).
 *
 * better-auth lives in bench/better-auth/ with its own package.json and lock file: `npm --prefix bench/better-auth ci`.
 * Alone, without Gatehouse: `node --import tsx bench/scenarios/better-auth.ts --standalone` (`BENCH_SECONDS=2` for a
 * short run) prints the {@link measureBetterAuth} result as JSON on stdout.
 */
import { readFileSync } from 'node:fs';
import { announce } from '../lib/cpu.js';
import { expectStatus, JSON_HEADERS } from '../lib/http.js';
import { measureHttp, type ScenarioResult } from '../lib/load.js';
import { BENCH_USER, CONNECTIONS, PRODUCTION_HASH, TIMING, USER_PATH } from '../lib/params.js';
import { installCleanup, isEntry, runMain, startBenchServer, stopChild, type BenchServer } from '../lib/processes.js';
import { httpCell, ratioTarget, type Measured, type Target } from '../lib/targets.js';
import { LOGINS } from './login.js';
import { readRun } from './read.js';

/** The version the comparison is pinned to; why: issue 7 names it, and a silent upgrade would change the baseline. */
export const BETTER_AUTH_VERSION = '1.7.25';

/** The keys of {@link Measured.runs} this module fills; why: the targets and the report name the runs by them. */
export const BETTER_AUTH_RUNS = {
  signInScrypt: 'better-auth POST /api/auth/sign-in/email (scrypt)',
  getSession: 'better-auth GET /api/auth/get-session',
  signInArgon2id: 'better-auth POST /api/auth/sign-in/email (argon2id)',
  getSessionCookieCache: 'better-auth GET /api/auth/get-session (cookie cache)',
} as const;

const INSTALL_DIR = new URL('../better-auth/', import.meta.url);
const SERVER_SCRIPT = 'better-auth/server.mjs';
const SESSION_COOKIE = 'better-auth.session_token';
const CACHE_COOKIE = 'better-auth.session_data';

/** What a signed-in client holds: every cookie sign-in set, as one `cookie` header. */
interface Session {
  cookie: string;
  token: string;
}

/**
 * Issue 7 target 4: better-auth measured now, and Gatehouse's cookie read and API login (`gatehouse`, measured earlier
 * in this run) against it. Why: the promise is a factor over better-auth on the same machine in the same run.
 */
export async function compareWithBetterAuth(gatehouse: Record<string, ScenarioResult>): Promise<Measured> {
  const measured = await measureBetterAuth();
  return { ...measured, targets: betterAuthTargets({ ...gatehouse, ...measured.runs }) };
}

/** The three Gatehouse-vs-better-auth targets from one run's numbers. */
function betterAuthTargets(runs: Record<string, ScenarioResult>): Target[] {
  const session = runs[readRun('cookie')]!;
  const login = runs[LOGINS[0]]!;
  const versus = (id: string, key: keyof typeof BETTER_AUTH_RUNS, ours: ScenarioResult, oursName: string, target: number) => {
    const theirs = runs[BETTER_AUTH_RUNS[key]]!;
    return ratioTarget({ id, name: `${oursName} vs ${BETTER_AUTH_RUNS[key]}`, measured: httpCell(ours), baseline: httpCell(theirs), target }, ours.rps, theirs.rps);
  };
  return [
    versus('vs-better-auth-session', 'getSession', session, `Gatehouse GET ${USER_PATH} (cookie)`, 20),
    versus('vs-better-auth-session-cached', 'getSessionCookieCache', session, `Gatehouse GET ${USER_PATH} (cookie)`, 20),
    versus('vs-better-auth-sign-in', 'signInArgon2id', login, 'Gatehouse POST /api/auth/login', 1.2),
  ];
}

/**
 * Measures better-auth's sign-in (scrypt, then argon2id) and session check (plain, then cookie-cached).
 * Why: issue 7 promises Gatehouse beats it by set factors on the same machine in the same run.
 */
export async function measureBetterAuth(): Promise<Measured> {
  const versions = installedVersions();
  const runs: Record<string, ScenarioResult> = {};
  // The session check first: autocannon abandons its in-flight requests when a run ends, and a queue of sixteen
  // scrypt hashes would keep the server busy well into a session-check run that followed.
  await withServer([], async (server) => {
    const session = await signUpAndIn(server.base);
    runs[BETTER_AUTH_RUNS.getSession] = await measureGetSession(server, session, false);
    runs[BETTER_AUTH_RUNS.signInScrypt] = await measureSignIn(server);
  });
  await withServer(['--hash', 'argon2id', ...argon2Args()], async (server) => {
    await signUpAndIn(server.base);
    runs[BETTER_AUTH_RUNS.signInArgon2id] = await measureSignIn(server);
  });
  await withServer(['--cookie-cache'], async (server) => {
    const session = await signUpAndIn(server.base);
    runs[BETTER_AUTH_RUNS.getSessionCookieCache] = await measureGetSession(server, session, true);
  });
  return { targets: [], runs, notes: notes(versions) };
}

/** Versions actually installed; fails if better-auth is missing or not the pinned one. */
function installedVersions(): Record<string, string> {
  const version = (name: string): string => {
    const file = new URL(`node_modules/${name}/package.json`, INSTALL_DIR);
    try {
      return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    } catch {
      throw new Error(`${name} is not installed in bench/better-auth: run \`npm --prefix bench/better-auth ci\``);
    }
  };
  const versions = { 'better-auth': version('better-auth'), 'better-sqlite3': version('better-sqlite3'), '@node-rs/argon2': version('@node-rs/argon2') };
  if (versions['better-auth'] !== BETTER_AUTH_VERSION) {
    throw new Error(`bench/better-auth has better-auth ${versions['better-auth']}, not ${BETTER_AUTH_VERSION}: run \`npm --prefix bench/better-auth ci\``);
  }
  return versions;
}

/** Gatehouse's production argon2id cost as server.mjs flags; why: equal cost is the point of the argon2id run. */
function argon2Args(): string[] {
  const { memoryCost, timeCost, parallelism } = PRODUCTION_HASH;
  return ['--argon2-memory', String(memoryCost), '--argon2-time', String(timeCost), '--argon2-parallelism', String(parallelism)];
}

/** Starts server.mjs on a fresh temp database, runs `body`, and always stops it. */
async function withServer(args: string[], body: (server: BenchServer) => Promise<void>): Promise<void> {
  const server = await startBenchServer(SERVER_SCRIPT, args);
  try {
    await body(server);
  } finally {
    await stopChild(server.child);
  }
}

/** Signs the bench user up, then in; returns the cookies sign-in set. */
async function signUpAndIn(base: string): Promise<Session> {
  const signUp = await postJson(`${base}/api/auth/sign-up/email`, { ...BENCH_USER, name: 'Bench User' });
  await expectStatus(signUp, 'sign-up');
  const signIn = await postJson(`${base}/api/auth/sign-in/email`, BENCH_USER);
  await expectStatus(signIn, 'sign-in');
  const { token } = (await signIn.json()) as { token?: string };
  const cookies = signIn.headers.getSetCookie().map((line) => line.split(';')[0]!);
  if (!token || !cookies.some((cookie) => cookie.startsWith(`${SESSION_COOKIE}=`))) {
    throw new Error(`sign-in: no token or no ${SESSION_COOKIE} cookie (got ${cookies.join(', ') || 'no cookies'})`);
  }
  return { cookie: cookies.join('; '), token };
}

/** Sign-in under load, with the same body every time and the same warm-up as Gatehouse's login run. */
async function measureSignIn(server: BenchServer): Promise<ScenarioResult> {
  await announce(`${BENCH_USER.email} signs in to better-auth, ${CONNECTIONS} connections`, TIMING.loginWarmupSeconds);
  return measureHttp({
    url: `${server.base}/api/auth/sign-in/email`,
    method: 'POST',
    headers: JSON_HEADERS,
    body: JSON.stringify(BENCH_USER),
    serverPid: server.child.pid!,
    warmupSeconds: TIMING.loginWarmupSeconds,
  });
}

/** The session check under load, after checking once that it really answers with this session. */
async function measureGetSession(server: BenchServer, session: Session, cookieCache: boolean): Promise<ScenarioResult> {
  const url = `${server.base}/api/auth/get-session`;
  const headers = { cookie: session.cookie };
  await checkGetSession(await fetch(url, { headers }), session, cookieCache);
  await announce(`better-auth GET /api/auth/get-session${cookieCache ? ' (cookie cache)' : ''}, ${CONNECTIONS} connections`);
  return measureHttp({ url, method: 'GET', headers, serverPid: server.child.pid! });
}

/**
 * Fails unless get-session returned this session and user. Why: it answers 200 `null` for a missing or bad cookie,
 * which autocannon would count as success. With the cookie cache, a hit sets no cookie; a miss re-issues the cache.
 */
async function checkGetSession(response: Response, session: Session, cookieCache: boolean): Promise<void> {
  await expectStatus(response, 'get-session');
  const body = (await response.json()) as { session?: { token?: string }; user?: { email?: string } } | null;
  if (body?.session?.token !== session.token || body.user?.email !== BENCH_USER.email) {
    throw new Error(`get-session did not return the signed-in session: ${JSON.stringify(body)}`);
  }
  if (cookieCache && !session.cookie.includes(`${CACHE_COOKIE}=`)) throw new Error(`sign-in set no ${CACHE_COOKIE} cookie`);
  if (cookieCache && response.headers.getSetCookie().length > 0) {
    throw new Error(`get-session missed the cookie cache (it set ${response.headers.getSetCookie().join(', ')})`);
  }
}

/**
 * A JSON POST as a same-origin browser page sends it. Why: fetch adds `sec-fetch-mode: cors`, which makes
 * better-auth demand an Origin; autocannon sends neither, so the measured sign-ins skip that check, as curl's would.
 */
function postJson(url: string, body: unknown): Promise<Response> {
  const headers = { ...JSON_HEADERS, origin: new URL(url).origin };
  return fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
}

/** How better-auth was set up, for the report; why: a baseline is only meaningful with its configuration. */
function notes(versions: Record<string, string>): string[] {
  const { memoryCost, timeCost, parallelism } = PRODUCTION_HASH;
  return [
    `better-auth ${versions['better-auth']} (better-sqlite3 ${versions['better-sqlite3']}, @node-rs/argon2 ${versions['@node-rs/argon2']}), ` +
      'bench/better-auth/server.mjs: betterAuth({ database: new Database(file), emailAndPassword: { enabled: true }, secret, baseURL }) ' +
      'behind toNodeHandler on node:http, a fresh SQLite file per server (better-sqlite3 defaults, no WAL), rate limiter off (one client IP).',
    'better-auth sign-in (scrypt): its default hash, node:crypto scrypt N=16384 r=16 p=1 on the libuv threadpool.',
    `better-auth sign-in (argon2id): emailAndPassword.password.hash/verify with @node-rs/argon2 m=${memoryCost} t=${timeCost} p=${parallelism}, Gatehouse's cost.`,
    'better-auth get-session: signed session cookie, two SELECTs (session by token, then its user) per request; ' +
      'with session.cookieCache { enabled: true, maxAge: 300 } and its session_data cookie sent, two HMAC checks (token, cached session) and no database read.',
  ];
}

// `--standalone` measures better-auth alone; importing this module (bench/run.ts) runs nothing.
if (isEntry(import.meta.url) && process.argv.includes('--standalone')) {
  runMain('better-auth bench', async () => {
    installCleanup();
    process.stdout.write(`${JSON.stringify(await measureBetterAuth(), null, 2)}\n`);
  });
}
