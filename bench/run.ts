/**
 * `npm run bench`: every target of issue 7, measured in one run on one machine as ratios against baselines measured
 * the same way (DESIGN "Performance by design"), written to bench/results/latest.{md,json,svg}.
 * `--skip-scale` leaves out the 1,000,000-account runs (their seeding takes minutes).
 * Exits 0 when a target is missed (that is a finding), 1 when a run had errors (that is a broken bench).
 */
import { cpus, availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { parseConfig } from '../src/config/index.js';
import { BETTER_AUTH_RUNS, measureBetterAuth } from './better-auth.js';
import { BARE_LOGIN, LOGINS, measureGatehousePostgres, measureGatehouseSqlite, type Login } from './gatehouse.js';
import type { ScenarioResult } from './load.js';
import { CONNECTIONS, HASH_CONCURRENCY, PRODUCTION_HASH, TIMING, USER_PATH } from './params.js';
import { installCleanup } from './processes.js';
import type { RawResult } from './raw-loop.js';
import { brokenScenarios, writeReport, type BenchRun } from './report.js';
import { measureScale } from './scale.js';
import { formatRate, httpCell, ratioTarget, type Measured, type Target } from './targets.js';

const RESULTS_DIR = new URL('./results/', import.meta.url);

/** Fails when the bench's argon2 parameters drifted from the shipped defaults; why: DESIGN — benchmarks use production cost. */
function checkProductionDefaults(): void {
  const defaults = parseConfig({}, {}).password.hash;
  const drifted = (Object.keys(PRODUCTION_HASH) as Array<keyof typeof PRODUCTION_HASH>).filter((key) => defaults[key] !== PRODUCTION_HASH[key]);
  if (drifted.length > 0 || defaults.concurrency !== HASH_CONCURRENCY) {
    throw new Error(`bench/params.ts no longer matches the password.hash defaults (${JSON.stringify(defaults)}); update it`);
  }
}

/** The names of the raw baselines, as the targets and the report use them. */
const ARGON2 = 'raw argon2id verify';
const SIGN = 'raw RS512 signing (jose)';
const inTurnsWith = (name: Login) => `${ARGON2}, in turns with ${name}`;
/** The databases refresh runs on, as its run names say them. */
type RefreshDatabase = 'SQLite' | 'PostgreSQL';
const refreshRun = (database: RefreshDatabase) => `POST /api/auth/refresh (${database})`;
const signingInTurnsWith = (database: RefreshDatabase) => `${SIGN}, in turns with ${refreshRun(database)}`;

/** The baselines as the targets use them: each measured in turns with the run it is compared with. */
function baselines(argon2: Record<Login, RawResult>, signing: Record<RefreshDatabase, RawResult>): Record<string, RawResult> {
  return {
    [inTurnsWith(LOGINS[0])]: argon2[LOGINS[0]],
    [inTurnsWith(LOGINS[1])]: argon2[LOGINS[1]],
    [inTurnsWith(BARE_LOGIN)]: argon2[BARE_LOGIN],
    [signingInTurnsWith('SQLite')]: signing.SQLite,
    [signingInTurnsWith('PostgreSQL')]: signing.PostgreSQL,
  };
}

function rawCell(r: RawResult, unit: string): string {
  return `${formatRate(r.perSecond)} ${unit}/s (p50 ${r.p50Ms.toFixed(1)} ms)`;
}

/** Issue 7 targets 1–4 from one run's numbers. */
function ownTargets(raw: Record<string, RawResult>, runs: Record<string, ScenarioResult>): Target[] {
  const login = (id: string, name: Login) => {
    const argon2 = raw[inTurnsWith(name)]!;
    return ratioTarget(
      { id, name: `${name} vs raw argon2id verify`, measured: httpCell(runs[name]!), baseline: rawCell(argon2, 'verifies'), target: 0.9 },
      runs[name]!.rps, argon2.perSecond);
  };
  const read = (id: string, kind: string) => {
    const gatehouse = runs[`GET ${USER_PATH} (${kind})`]!;
    const bare = runs[`GET ${USER_PATH} (bare Fastify, ${kind} header)`]!;
    return ratioTarget({ id, name: `GET ${USER_PATH} (${kind}) vs bare Fastify route`, measured: httpCell(gatehouse), baseline: httpCell(bare), target: 0.6 }, gatehouse.rps, bare.rps);
  };
  const refresh = (id: string, database: RefreshDatabase) => {
    const run = runs[refreshRun(database)]!;
    const sign = raw[signingInTurnsWith(database)]!;
    return ratioTarget({ id, name: `POST /api/auth/refresh on ${database} vs raw RS512 signing`, measured: httpCell(run), baseline: rawCell(sign, 'signatures'), target: 0.4 }, run.rps, sign.perSecond);
  };
  return [
    login('login-api', LOGINS[0]),
    login('login-cookie', LOGINS[1]),
    read('user-bearer', 'bearer'),
    read('user-cookie', 'cookie'),
    refresh('refresh-sqlite', 'SQLite'),
    refresh('refresh-postgres', 'PostgreSQL'),
  ];
}

/** Each login's throughput over the raw argon2id verifies measured in turns with it. */
function ofRawArgon2(raw: Record<string, RawResult>, runs: Record<string, ScenarioResult>, name: Login): number {
  return runs[name]!.rps / raw[inTurnsWith(name)]!.perSecond;
}

/**
 * What the bare login says about target 1: how close to raw argon2id a login served over HTTP gets at all on this
 * machine, and how close Gatehouse's logins come to that.
 */
function bareLoginNote(raw: Record<string, RawResult>, runs: Record<string, ScenarioResult>): string {
  const bare = ofRawArgon2(raw, runs, BARE_LOGIN);
  const [api, cookie] = LOGINS.map((name) => ofRawArgon2(raw, runs, name));
  return `The least an HTTP login can be, a bare Fastify route that only verifies with Gatehouse's hasher (bench/bare-login.ts: ` +
    `no database, no session, no token), reached ${bare.toFixed(2)} of raw argon2id in its turns (${formatRate(runs[BARE_LOGIN]!.rps)}/s against ` +
    `${formatRate(raw[inTurnsWith(BARE_LOGIN)]!.perSecond)}/s). The API and cookie logins reached ${(api! / bare).toFixed(2)} and ${(cookie! / bare).toFixed(2)} of that.`;
}

/** Issue 7 target 4: Gatehouse against better-auth, both measured in this run. */
function betterAuthTargets(runs: Record<string, ScenarioResult>): Target[] {
  const session = runs[`GET ${USER_PATH} (cookie)`]!;
  const login = runs['POST /api/auth/login']!;
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

function machine(): BenchRun['machine'] {
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    availableParallelism: availableParallelism(),
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { 'skip-scale': { type: 'boolean' } } });
  installCleanup();
  checkProductionDefaults();
  const startedOn = machine();
  const sqlite = await measureGatehouseSqlite();
  const postgres = await measureGatehousePostgres();
  const runs: Record<string, ScenarioResult> = { ...sqlite.runs, ...postgres.runs };
  const raw = baselines(sqlite.raw.argon2, { SQLite: sqlite.raw.signing, PostgreSQL: postgres.raw.signing });
  const betterAuth = await measureBetterAuth();
  Object.assign(runs, betterAuth.runs);
  const scale: Measured = values['skip-scale'] ? { targets: [], runs: {}, notes: ['Scale runs skipped (--skip-scale).'] } : await measureScale();
  Object.assign(runs, scale.runs);
  const run: BenchRun = {
    machine: startedOn,
    settings: { ...TIMING, connections: CONNECTIONS, argon2: { ...PRODUCTION_HASH, concurrency: HASH_CONCURRENCY } },
    raw,
    runs,
    targets: [...ownTargets(raw, runs), ...betterAuthTargets(runs), ...scale.targets],
    notes: [
      ...(process.env.BENCH_SECONDS ? [`Short development run (BENCH_SECONDS=${process.env.BENCH_SECONDS}).`] : []),
      `Each login run and raw argon2id verify, GET ${USER_PATH} and the bare Fastify route, each refresh run and raw RS512 signing were ` +
        `measured in alternating turns of about 2 s, each summed over its turns (each raw baseline in one process, warmed up once).`,
      bareLoginNote(raw, runs),
      ...betterAuth.notes,
      ...scale.notes,
    ],
  };
  process.stdout.write(`\n${writeReport(RESULTS_DIR, run)}`);
  const broken = brokenScenarios(run);
  if (broken.length === 0) return 0;
  process.stderr.write(`bench: errors or non-2xx answers in ${broken.join(', ')}; the numbers above are not valid\n`);
  return 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
