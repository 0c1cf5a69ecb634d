/**
 * `npm run bench`: measures login against raw argon2id and the authenticated GET against bare Fastify, in one run
 * on one machine (DESIGN "Performance by design"), and writes bench/results/latest.{json,md}.
 * Exits 0 when a target is missed (that is a finding), 1 when a run had errors (that is a broken bench).
 */
import { cpus, availableParallelism } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import { parseConfig } from '../src/config/index.js';
import type { RawResult } from './argon2-raw.js';
import { waitForQuietMachine } from './cpu.js';
import { measureHttp, type ScenarioResult } from './load.js';
import { ACCOUNT_PATH, BENCH_USER, CONNECTIONS, HASH_CONCURRENCY, PRODUCTION_HASH, TIMING } from './params.js';
import { installCleanup, spawnBenchChild, stopChild, waitForLine } from './processes.js';
import { brokenScenarios, writeReport, type BenchRun } from './report.js';

const READY_TIMEOUT_MS = 60_000;
/** Longest wait for an idle machine before each run; four of them keep the bench near two minutes at worst. */
const QUIET_WAIT_MS = 10_000;
const RESULTS_DIR = new URL('./results/', import.meta.url);

/** Fails when the bench's argon2 parameters drifted from the shipped defaults; why: DESIGN — benchmarks use production cost. */
function checkProductionDefaults(): void {
  const defaults = parseConfig({}, {}).password.hash;
  const drifted = (Object.keys(PRODUCTION_HASH) as Array<keyof typeof PRODUCTION_HASH>).filter((key) => defaults[key] !== PRODUCTION_HASH[key]);
  if (drifted.length > 0 || defaults.concurrency !== HASH_CONCURRENCY) {
    throw new Error(`bench/params.ts no longer matches the password.hash defaults (${JSON.stringify(defaults)}); update it`);
  }
}

/** Raw argon2id verify throughput, in a process of its own. */
async function measureRawArgon2(): Promise<RawResult> {
  const args = ['--concurrency', String(HASH_CONCURRENCY), '--duration', String(TIMING.durationSeconds), '--warmup', String(TIMING.warmupSeconds)];
  const child = spawnBenchChild('argon2-raw.ts', args);
  const timeout = (TIMING.warmupSeconds + TIMING.durationSeconds) * 1000 + READY_TIMEOUT_MS;
  return JSON.parse(await waitForLine(child, 'RESULT ', timeout)) as RawResult;
}

/** Starts a bench server script and returns it with its base URL. */
async function startServer(script: string, args: string[] = [], env: Record<string, string> = {}): Promise<{ child: ChildProcess; base: string }> {
  // An explicit port 0 so a PORT variable in the shell can't pick one that is taken.
  const child = spawnBenchChild(script, ['--port', '0', ...args], env);
  const port = await waitForLine(child, 'READY ', READY_TIMEOUT_MS);
  return { child, base: `http://127.0.0.1:${port}` };
}

/** Registers the bench user through the API, logs in once, and fetches the account it will GET under load. */
async function prepareAccount(base: string): Promise<{ accessToken: string; accountJson: string }> {
  await expectStatus(await postJson(`${base}/api/auth/register`, BENCH_USER), 201, 'register');
  const login = await postJson(`${base}/api/auth/login`, BENCH_USER);
  await expectStatus(login, 200, 'login');
  const { accessToken } = (await login.json()) as { accessToken: string };
  const account = await fetch(`${base}${ACCOUNT_PATH}`, { headers: { authorization: `Bearer ${accessToken}` } });
  await expectStatus(account, 200, 'GET account');
  return { accessToken, accountJson: await account.text() };
}

function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function expectStatus(response: Response, status: number, what: string): Promise<void> {
  if (response.status !== status) throw new Error(`${what}: expected ${status}, got ${response.status} ${await response.clone().text()}`);
}

/** Login and authenticated GET against Gatehouse (built from dist/), then stops it. */
async function measureGatehouse(): Promise<{ login: ScenarioResult; account: ScenarioResult; accessToken: string; accountJson: string }> {
  const { child, base } = await startServer('server.ts');
  try {
    const { accessToken, accountJson } = await prepareAccount(base);
    await announce(`POST /api/auth/login, ${CONNECTIONS} connections`);
    const login = await measureHttp({
      url: `${base}/api/auth/login`, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(BENCH_USER), serverPid: child.pid!,
    });
    await announce(`GET ${ACCOUNT_PATH} (Gatehouse)`);
    const account = await measureHttp({ url: `${base}${ACCOUNT_PATH}`, method: 'GET', headers: bearer(accessToken), serverPid: child.pid! });
    return { login, account, accessToken, accountJson };
  } finally {
    await stopChild(child);
  }
}

/** The same GET, same headers, against a bare Fastify route serving Gatehouse's answer. */
async function measureBare(accessToken: string, accountJson: string): Promise<ScenarioResult> {
  const { child, base } = await startServer('bare-server.ts', [], { BENCH_BODY: accountJson });
  try {
    await announce(`GET ${ACCOUNT_PATH} (bare Fastify)`);
    return await measureHttp({ url: `${base}${ACCOUNT_PATH}`, method: 'GET', headers: bearer(accessToken), serverPid: child.pid! });
  } finally {
    await stopChild(child);
  }
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** Announces the next run after waiting (briefly) for other programs to leave the CPU alone. */
async function announce(what: string): Promise<void> {
  if (!(await waitForQuietMachine(QUIET_WAIT_MS))) process.stderr.write(`bench: the machine is busy with other programs; measuring anyway\n`);
  process.stderr.write(`bench: ${what} (${TIMING.warmupSeconds} s warm-up + ${TIMING.durationSeconds} s)…\n`);
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
  installCleanup();
  checkProductionDefaults();
  const startedOn = machine();
  await announce(`raw argon2id verify, ${HASH_CONCURRENCY} in flight`);
  const argon2Raw = await measureRawArgon2();
  const { login, account, accessToken, accountJson } = await measureGatehouse();
  const bareAccount = await measureBare(accessToken, accountJson);
  const run: BenchRun = {
    machine: startedOn,
    settings: { ...TIMING, connections: CONNECTIONS, argon2: { ...PRODUCTION_HASH, concurrency: HASH_CONCURRENCY } },
    scenarios: { argon2Raw, login, account, bareAccount },
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
