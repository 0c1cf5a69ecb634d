/**
 * Issue 7 target 1, password login: `POST /api/auth/login` and `POST /auth/cookie` against raw argon2id verifies at
 * the production cost, each run in turns with the verifies it is divided by; then, for context and with no target of
 * its own, the least an HTTP login can be (bench/children/bare-login.ts) measured the same way.
 */
import { announce } from '../lib/cpu.js';
import { formatRate } from '../lib/format.js';
import { FORM_HEADERS, JSON_HEADERS } from '../lib/http.js';
import { cookieForm } from '../lib/gatehouse.js';
import { measureInTurns, type LoadTarget, type ScenarioResult } from '../lib/load.js';
import { BENCH_USER, CONNECTIONS, HASH_CONCURRENCY, TIMING } from '../lib/params.js';
import { startBenchServer, stopChild, type BenchServer } from '../lib/processes.js';
import { combinedStretches, type RawResult } from '../lib/raw-loop.js';
import { startArgon2Turns, type RawTurns } from '../lib/raw-turns.js';
import { httpCell, rawCell, ratioTarget, type Measured } from '../lib/targets.js';

/** The two password logins of target 1. */
export const LOGINS = ['POST /api/auth/login', 'POST /auth/cookie'] as const;
/** The least an HTTP login can be (bench/children/bare-login.ts): no target of its own, it shows how close the logins could get. */
export const BARE_LOGIN = "POST /api/auth/login (bare Fastify route, Gatehouse's hasher)";
/** A login run's name, as the report lists it. */
export type Login = (typeof LOGINS)[number] | typeof BARE_LOGIN;

/** The name of the raw argon2id baseline measured in turns with a login run, as the report lists it. */
const inTurnsWith = (name: Login) => `raw argon2id verify, in turns with ${name}`;

/**
 * Each login run in turns with raw argon2id verifies: Gatehouse's two logins on `server`, then the bare login on a
 * server of its own. Why in turns: the machine drifts 5–20 % within minutes, and a drift then hits both sides alike.
 */
export async function measureLogins(server: BenchServer): Promise<Measured> {
  const argon2 = await startArgon2Turns();
  const runs: Record<string, ScenarioResult> = {};
  const raw: Record<string, RawResult> = {};
  try {
    const measure = async (name: Login, target: LoadTarget): Promise<void> => {
      await announce(`${name}, ${CONNECTIONS} connections, in turns with raw argon2id verify (${HASH_CONCURRENCY} in flight)`, TIMING.loginWarmupSeconds);
      const { result, others } = await measureInTurns(target, (seconds) => argon2.measure(seconds));
      runs[name] = result;
      raw[inTurnsWith(name)] = combinedStretches(others);
    };
    await measure('POST /api/auth/login', apiLogin(server));
    await measure('POST /auth/cookie', { ...apiLogin(server), url: `${server.base}/auth/cookie`, headers: FORM_HEADERS, body: cookieForm() });
    await measureBareLogin(measure);
  } finally {
    await argon2.stop();
  }
  return { targets: [loginTarget('login-api', LOGINS[0], runs, raw), loginTarget('login-cookie', LOGINS[1], runs, raw)], runs, raw, notes: [bareLoginNote(runs, raw)] };
}

/** The bare login on a server of its own, measured as the logins are. */
async function measureBareLogin(measure: (name: Login, target: LoadTarget) => Promise<void>): Promise<void> {
  const bare = await startBenchServer('children/bare-login.ts');
  try {
    await measure(BARE_LOGIN, apiLogin(bare));
  } finally {
    await stopChild(bare.child);
  }
}

/** `POST /api/auth/login` with the bench user's password, warmed up as logins are. */
function apiLogin(server: BenchServer): LoadTarget {
  return {
    url: `${server.base}/api/auth/login`, method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(BENCH_USER),
    serverPid: server.child.pid!, warmupSeconds: TIMING.loginWarmupSeconds,
  };
}

/** A login's throughput against the raw verifies measured in turns with it; the target is 0.9. */
function loginTarget(id: string, name: Login, runs: Record<string, ScenarioResult>, raw: Record<string, RawResult>) {
  const argon2 = raw[inTurnsWith(name)]!;
  return ratioTarget(
    { id, name: `${name} vs raw argon2id verify`, measured: httpCell(runs[name]!), baseline: rawCell(argon2, 'verifies'), target: 0.9 },
    runs[name]!.rps, argon2.perSecond);
}

/** Each login's throughput over the raw argon2id verifies measured in turns with it. */
function ofRawArgon2(runs: Record<string, ScenarioResult>, raw: Record<string, RawResult>, name: Login): number {
  return runs[name]!.rps / raw[inTurnsWith(name)]!.perSecond;
}

/**
 * What the bare login says about target 1: how close to raw argon2id a login served over HTTP gets at all on this
 * machine, and how close Gatehouse's logins come to that.
 */
function bareLoginNote(runs: Record<string, ScenarioResult>, raw: Record<string, RawResult>): string {
  const bare = ofRawArgon2(runs, raw, BARE_LOGIN);
  const [api, cookie] = LOGINS.map((name) => ofRawArgon2(runs, raw, name));
  return `The least an HTTP login can be, a bare Fastify route that only verifies with Gatehouse's hasher (bench/children/bare-login.ts: ` +
    `no database, no session, no token), reached ${bare.toFixed(2)} of raw argon2id in its turns (${formatRate(runs[BARE_LOGIN]!.rps)}/s against ` +
    `${formatRate(raw[inTurnsWith(BARE_LOGIN)]!.perSecond)}/s). The API and cookie logins reached ${(api! / bare).toFixed(2)} and ${(cookie! / bare).toFixed(2)} of that.`;
}
