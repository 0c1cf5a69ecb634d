import { renameSync, writeFileSync } from 'node:fs';
import type { RawResult } from './argon2-raw.js';
import { NOISY_OTHER_CORES } from './cpu.js';
import type { ScenarioResult } from './load.js';

/** Everything one `npm run bench` measured. */
export interface BenchRun {
  machine: { date: string; node: string; platform: string; cpu: string; cores: number; availableParallelism: number };
  settings: Record<string, unknown>;
  scenarios: { argon2Raw: RawResult; login: ScenarioResult; account: ScenarioResult; bareAccount: ScenarioResult };
}

/** A measured ratio against its target (issue 7). */
export interface Ratio {
  name: string;
  measured: string;
  baseline: string;
  ratio: number;
  target: number;
  pass: boolean;
}

/** The two ratios the design promises, computed from one run; why: only same-run ratios survive a change of machine. */
export function ratios(run: BenchRun): Ratio[] {
  const { argon2Raw, login, account, bareAccount } = run.scenarios;
  return [
    ratio('POST /api/auth/login vs raw argon2id verify', 'login', 'argon2Raw', login.rps, argon2Raw.perSecond, 0.9),
    ratio('GET /api/auth/account vs bare Fastify route', 'account', 'bareAccount', account.rps, bareAccount.rps, 0.6),
  ];
}

function ratio(name: string, measured: string, baseline: string, value: number, base: number, target: number): Ratio {
  const r = base > 0 ? value / base : 0;
  return { name, measured, baseline, ratio: r, target, pass: r >= target };
}

/** Errors, timeouts or non-2xx answers anywhere mean the numbers are not worth reading. */
export function brokenScenarios(run: BenchRun): string[] {
  const http = Object.entries(run.scenarios).filter((entry): entry is [string, ScenarioResult] => 'non2xx' in entry[1]);
  const broken = http.filter(([, s]) => s.errors + s.timeouts + s.non2xx + s.warmupFailures > 0).map(([name]) => name);
  return run.scenarios.argon2Raw.failures > 0 ? ['argon2Raw', ...broken] : broken;
}

/** Writes `latest.json` and `latest.md` into `dir` (via `.tmp` + rename, so a crash never leaves half a file). */
export function writeReport(dir: URL, run: BenchRun): string {
  const markdown = renderMarkdown(run);
  writeAtomically(new URL('latest.json', dir), `${JSON.stringify({ ...run, ratios: ratios(run), noisyScenarios: noisyScenarios(run) }, null, 2)}\n`);
  writeAtomically(new URL('latest.md', dir), markdown);
  return markdown;
}

function writeAtomically(file: URL, text: string): void {
  const tmp = new URL(`${file.href}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** The human summary: the ratio table, then every run's raw numbers. */
export function renderMarkdown(run: BenchRun): string {
  const { machine, scenarios: s } = run;
  const hash = run.settings.argon2 as { memoryCost: number; timeCost: number; parallelism: number; concurrency: number };
  return [
    '# Gatehouse benchmark',
    '',
    `${machine.date} · Node ${machine.node} · ${machine.platform} · ${machine.cpu} × ${machine.cores} · ` +
      `each run ${run.settings.durationSeconds} s after ${run.settings.warmupSeconds} s warm-up, ${run.settings.connections} connections · ` +
      `argon2id m=${hash.memoryCost} t=${hash.timeCost} p=${hash.parallelism}, ${hash.concurrency} in flight`,
    '',
    '| Scenario | Measured | Baseline | Ratio | Target | Result |',
    '|---|---|---|---|---|---|',
    ...ratios(run).map((r) => {
      const measured = r.measured === 'login' ? httpCell(s.login) : httpCell(s.account);
      const baseline = r.baseline === 'argon2Raw' ? rawCell(s.argon2Raw) : httpCell(s.bareAccount);
      return `| ${r.name} | ${measured} | ${baseline} | ${r.ratio.toFixed(2)} | ≥ ${r.target} | ${r.pass ? 'pass' : '**FAIL**'} |`;
    }),
    '',
    '| Run | per s | p50 ms | p99 ms | count | errors | non-2xx | server CPU | server CPU per op | load generator CPU | other programs\' CPU |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    `| raw argon2id verify (child process) | ${fmt(s.argon2Raw.perSecond)} | ${ms(s.argon2Raw.p50Ms)} | ${ms(s.argon2Raw.p99Ms)} | ${s.argon2Raw.verifies} | ${s.argon2Raw.failures} | – | ` +
      `${cores(s.argon2Raw.cpuCores)} | ${perOp(s.argon2Raw.cpuCores, s.argon2Raw.perSecond)} | – | ${cores(s.argon2Raw.otherCpuCores)} |`,
    httpRow('POST /api/auth/login', s.login),
    httpRow('GET /api/auth/account (Gatehouse)', s.account),
    httpRow('GET /api/auth/account (bare Fastify)', s.bareAccount),
    '',
    'CPU columns are average cores busy during the measured window (from /proc); CPU per op = server CPU ÷ throughput; ' +
      'latencies have 1 ms resolution (autocannon).',
    ...noiseWarning(run),
    '',
  ].join('\n');
}

/** Runs during which other programs competed for the CPU; why: on two cores that skews every ratio. */
export function noisyScenarios(run: BenchRun): string[] {
  return Object.entries(run.scenarios).filter(([, s]) => (s.otherCpuCores ?? 0) > NOISY_OTHER_CORES).map(([name]) => name);
}

function noiseWarning(run: BenchRun): string[] {
  const noisy = noisyScenarios(run);
  if (noisy.length === 0) return [];
  return ['', `**Warning:** other programs used more than ${NOISY_OTHER_CORES} cores during ${noisy.join(', ')}; rerun on an idle machine before trusting the ratios.`];
}

function httpCell(s: ScenarioResult): string {
  return `${fmt(s.rps)} req/s (p50 ${ms(s.p50Ms)} ms, p99 ${ms(s.p99Ms)} ms)`;
}

function rawCell(s: RawResult): string {
  return `${fmt(s.perSecond)} verifies/s (p50 ${ms(s.p50Ms)} ms)`;
}

function httpRow(name: string, s: ScenarioResult): string {
  return `| ${name} | ${fmt(s.rps)} | ${ms(s.p50Ms)} | ${ms(s.p99Ms)} | ${s.requests} | ${s.errors + s.timeouts} | ${s.non2xx} | ` +
    `${cores(s.serverCpuCores)} | ${perOp(s.serverCpuCores, s.rps)} | ${cores(s.loadgenCpuCores)} | ${cores(s.otherCpuCores)} |`;
}

/** CPU time per operation; why: unlike throughput it does not depend on whether the load generator kept up. */
function perOp(cpuCores: number | null, perSecond: number): string {
  if (cpuCores === null || perSecond <= 0) return '–';
  const micros = (cpuCores / perSecond) * 1e6;
  return micros >= 1000 ? `${(micros / 1000).toFixed(2)} ms` : `${Math.round(micros)} µs`;
}

function cores(n: number | null): string {
  return n === null ? '–' : n.toFixed(2);
}

function fmt(n: number): string {
  return n >= 1000 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

function ms(n: number): string {
  if (n < 1) return '<1';
  return n >= 10 ? n.toFixed(0) : n.toFixed(1);
}
