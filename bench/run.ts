/**
 * `npm run bench`: every target of issue 7 (and issue 18's OpenID grants), measured in one run on one machine as ratios against baselines measured
 * the same way (DESIGN "Performance by design"), written to bench/results/latest.{md,json,svg} (untracked; `--publish`
 * also writes them to docs/bench/, the committed copy docs/performance.md shows). One scenario per file
 * in bench/scenarios/, the machinery they share in bench/lib/, the processes they start in bench/children/.
 * `--skip-scale` leaves out the 1,000,000-account runs (scale.ts and admin-accounts.ts; their seeding takes minutes). `--quick` checks that every
 * scenario still runs end to end: 1 s runs (`BENCH_SECONDS=1`) and a 2,000-account scale database
 * (`BENCH_SCALE_ACCOUNTS=2000`) unless those are set; its numbers are not worth reading.
 * Exits 0 when a target is missed (that is a finding), 1 when a run had errors (that is a broken bench).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '../src/config/index.js';
import { signIn, startGatehouse } from './lib/gatehouse.js';
import { CONNECTIONS, HASH_CONCURRENCY, PRODUCTION_HASH, TIMING, USER_PATH } from './lib/params.js';
import { installCleanup, runMain, stopChild } from './lib/processes.js';
import { brokenScenarios, writeReport, type BenchRun } from './lib/report.js';
import { mergeMeasured, type Measured } from './lib/targets.js';
import { compareWithBetterAuth } from './scenarios/better-auth.js';
import { measureTotpLogin } from './scenarios/login-totp.js';
import { measureLogins } from './scenarios/login.js';
import { measureOidcGrants } from './scenarios/oidc.js';
import { measureReads } from './scenarios/read.js';
import { measureRefresh, measureRefreshOnPostgres } from './scenarios/refresh.js';
import { measureScale } from './scenarios/scale.js';
import { measureAdminAccounts } from './scenarios/admin-accounts.js';

/** Every run's report: untracked, so a run on a laptop never shows up as a change to commit. */
const RESULTS_DIR = new URL('./results/', import.meta.url);
/** The committed report that docs/performance.md shows, written only with `--publish`. */
const PUBLISHED_DIR = new URL('../docs/bench/', import.meta.url);

/** Fails when the bench's argon2 parameters drifted from the shipped defaults; why: DESIGN — benchmarks use production cost. */
function checkProductionDefaults(): void {
  const defaults = parseConfig({}, {}).password.hash;
  const drifted = (Object.keys(PRODUCTION_HASH) as Array<keyof typeof PRODUCTION_HASH>).filter((key) => defaults[key] !== PRODUCTION_HASH[key]);
  if (drifted.length > 0 || defaults.concurrency !== HASH_CONCURRENCY) {
    throw new Error(`bench/lib/params.ts no longer matches the password.hash defaults (${JSON.stringify(defaults)}); update it`);
  }
}

/** `--quick`: the shortest runs and a tiny scale database, unless the environment already says otherwise. */
function useQuickSizes(): void {
  process.env.BENCH_SECONDS ??= '1';
  process.env.BENCH_SCALE_ACCOUNTS ??= '2000';
}

/**
 * Gatehouse's own targets 1–3 on one SQLite server, in this order: logins, reads, refresh, the login with TOTP
 * (reported beside the logins), then the OpenID provider's grants (issue 18); then refresh on PostgreSQL. The server
 * is shared so that each scenario meets it as warm as the one before left it. Its SQLite file lives in a directory
 * made here, so that the OpenID scenario can count what its grants stored.
 */
async function measureGatehouse(): Promise<Measured[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  // However the bench ends (Ctrl-C exits without running the finally below).
  const removeDataDir = () => rmSync(dataDir, { recursive: true, force: true });
  process.once('exit', removeDataDir);
  try {
    const server = await startGatehouse(['--data-dir', dataDir]);
    try {
      const credentials = await signIn(server.base);
      const logins = await measureLogins(server);
      const reads = await measureReads(server, credentials);
      const refresh = await measureRefresh(server, 'SQLite');
      // After the reads and refreshes: its 3,000 seeded accounts and their sessions would otherwise be the state they
      // meet (measured: the bearer read's ratio fell from 0.80 to 0.70 when it ran before them). Beside the logins.
      const totpLogin = await measureTotpLogin(server, logins);
      // Last: its codes, tokens and provider sessions live in oidc_records, which no other scenario reads.
      const oidc = await measureOidcGrants(server, join(dataDir, 'bench.db'));
      return [logins, totpLogin, reads, refresh, oidc];
    } finally {
      await stopChild(server.child);
    }
  } finally {
    removeDataDir();
    process.off('exit', removeDataDir);
  }
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

/** Notes about the run as a whole, before the scenarios' own. */
function runNotes(): string[] {
  return [
    ...(process.env.BENCH_SECONDS ? [`Short development run (BENCH_SECONDS=${process.env.BENCH_SECONDS}).`] : []),
    `Each login run and raw argon2id verify, GET ${USER_PATH} and the bare Fastify route, each refresh run and raw RS512 signing, ` +
      `each OpenID grant run and raw RS256 signing were measured in alternating turns of about 2 s, each summed over its turns ` +
      `(each raw baseline in one process, warmed up once).`,
  ];
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { 'skip-scale': { type: 'boolean' }, quick: { type: 'boolean' }, publish: { type: 'boolean' } } });
  if (values.publish && values.quick) throw new Error('--publish with --quick: a quick run\'s numbers are not worth publishing');
  if (values.quick) useQuickSizes();
  installCleanup();
  checkProductionDefaults();
  const startedOn = machine();
  const gatehouse = [...(await measureGatehouse()), await measureRefreshOnPostgres()];
  const betterAuth = await compareWithBetterAuth(mergeMeasured(gatehouse).runs);
  // The console's list (issue 19) seeds a 1,000,000-account schema of its own, so it is a scale run as well.
  const scale: Measured[] = values['skip-scale'] ? [{ targets: [], runs: {}, notes: ['Scale runs skipped (--skip-scale).'] }] : [await measureScale(), await measureAdminAccounts()];
  const { targets, runs, raw, notes } = mergeMeasured([...gatehouse, betterAuth, ...scale]);
  const run: BenchRun = {
    machine: startedOn,
    settings: { ...TIMING, connections: CONNECTIONS, argon2: { ...PRODUCTION_HASH, concurrency: HASH_CONCURRENCY } },
    raw,
    runs,
    targets,
    notes: [...runNotes(), ...notes],
  };
  process.stdout.write(`\n${writeReport(RESULTS_DIR, run)}`);
  const broken = brokenScenarios(run);
  if (broken.length === 0) {
    if (values.publish) writeReport(PUBLISHED_DIR, run);
    return 0;
  }
  process.stderr.write(`bench: errors or non-2xx answers in ${broken.join(', ')}; the numbers above are not valid\n`);
  return 1;
}

runMain('bench', main);
