import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { targetChart } from './chart.js';
import { NOISY_OTHER_CORES } from './cpu.js';
import { formatMs, formatRate } from './format.js';
import type { ScenarioResult } from './load.js';
import type { RawResult } from './raw-loop.js';
import type { Target } from './targets.js';

/** Everything one `npm run bench` measured. */
export interface BenchRun {
  machine: { date: string; node: string; platform: string; cpu: string; cores: number; availableParallelism: number };
  settings: Record<string, unknown>;
  /** Baselines measured in processes of their own (argon2id verify, RS512 signing), by readable name. */
  raw: Record<string, RawResult>;
  /** HTTP runs by readable name. */
  runs: Record<string, ScenarioResult>;
  targets: Target[];
  notes: string[];
}

/** Errors, timeouts or non-2xx answers anywhere mean the numbers are not worth reading. */
export function brokenScenarios(run: BenchRun): string[] {
  const http = Object.entries(run.runs).filter(([, s]) => s.errors + s.timeouts + s.non2xx + s.warmupFailures > 0).map(([name]) => name);
  const raw = Object.entries(run.raw).filter(([, r]) => r.failures > 0).map(([name]) => name);
  return [...raw, ...http];
}

/** Writes `latest.json`, `latest.md` and `latest.svg` into `dir` (each via `.tmp` + rename: never half a file). */
export function writeReport(dir: URL, run: BenchRun): string {
  const markdown = renderMarkdown(run);
  writeAtomically(new URL('latest.json', dir), `${JSON.stringify({ ...run, noisyScenarios: noisyScenarios(run) }, null, 2)}\n`);
  writeAtomically(new URL('latest.svg', dir), targetChart(run.targets));
  writeAtomically(new URL('latest.md', dir), markdown);
  return markdown;
}

/** Writes `file` via `.tmp` + rename; why: an interrupted bench never leaves half a report. */
export function writeAtomically(file: URL, text: string): void {
  mkdirSync(new URL('.', file), { recursive: true });
  const tmp = new URL(`${file.href}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** The human summary: every target with pass or fail, the chart, then every run's raw numbers. */
export function renderMarkdown(run: BenchRun): string {
  const { machine } = run;
  const hash = run.settings.argon2 as { memoryCost: number; timeCost: number; parallelism: number; concurrency: number };
  const failed = run.targets.filter((t) => !t.pass);
  return [
    '# Gatehouse benchmark',
    '',
    `${machine.date} · Node ${machine.node} · ${machine.platform} · ${machine.cpu} × ${machine.cores} · ` +
      `each run ${run.settings.durationSeconds} s after ${run.settings.warmupSeconds} s warm-up (logins ${run.settings.loginWarmupSeconds} s), ${run.settings.connections} connections · ` +
      `argon2id m=${hash.memoryCost} t=${hash.timeCost} p=${hash.parallelism}, ${hash.concurrency} in flight`,
    '',
    `**${run.targets.length - failed.length} of ${run.targets.length} targets met.** docs/performance.md explains each limit.`,
    '',
    '| Target | Measured | Baseline | Ratio | Target | Result |',
    '|---|---|---|---|---|---|',
    ...run.targets.map(targetRow),
    '',
    '![each scenario as a ratio of its limit](latest.svg)',
    '',
    '## Baselines (processes of their own)',
    '',
    '| Run | per s | p50 ms | p99 ms | count | failures | CPU (cores) | CPU per op | other programs\' CPU |',
    '|---|---|---|---|---|---|---|---|---|',
    ...Object.entries(run.raw).map(([name, r]) =>
      `| ${name} | ${formatRate(r.perSecond)} | ${formatMs(r.p50Ms)} | ${formatMs(r.p99Ms)} | ${r.operations} | ${r.failures} | ${cores(r.cpuCores)} | ${perOp(r.cpuCores, r.perSecond)} | ${cores(r.otherCpuCores)} |`),
    '',
    '## HTTP runs',
    '',
    '| Run | per s | p50 ms | p99 ms | count | errors | non-2xx | server CPU | server CPU per op | server RSS MiB | load generator CPU | other programs\' CPU |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...Object.entries(run.runs).map(([name, s]) => httpRow(name, s)),
    '',
    'CPU columns are average cores busy during the measured window (from /proc); CPU per op = CPU ÷ throughput; ' +
      'autocannon latencies have 1 ms resolution.',
    ...noiseWarning(run),
    ...(run.notes.length ? ['', '## Notes', '', ...run.notes.map((note) => `- ${note}`)] : []),
    '',
  ].join('\n');
}

function targetRow(t: Target): string {
  const sign = t.direction === 'atLeast' ? '≥' : '≤';
  const result = t.pass ? 'pass' : `**FAIL** (${missedBy(t)})`;
  return `| ${t.name} | ${t.measured} | ${t.baseline} | ${t.ratio.toFixed(2)} | ${sign} ${t.target} | ${result} |`;
}

/** How far a missed target is from its goal, in the target's own terms. */
function missedBy(t: Target): string {
  if (t.ratio <= 0) return 'no measurement';
  const factor = t.direction === 'atLeast' ? t.target / t.ratio : t.ratio / t.target;
  return `${((factor - 1) * 100).toFixed(0)} % short`;
}

/** Runs during which other programs competed for the CPU; why: on two cores that skews every ratio. */
export function noisyScenarios(run: BenchRun): string[] {
  const all: Array<[string, number | null]> = [
    ...Object.entries(run.raw).map(([name, r]): [string, number | null] => [name, r.otherCpuCores]),
    ...Object.entries(run.runs).map(([name, s]): [string, number | null] => [name, s.otherCpuCores]),
  ];
  return all.filter(([, other]) => (other ?? 0) > NOISY_OTHER_CORES).map(([name]) => name);
}

function noiseWarning(run: BenchRun): string[] {
  const noisy = noisyScenarios(run);
  if (noisy.length === 0) return [];
  return ['', `**Warning:** other programs used more than ${NOISY_OTHER_CORES} cores during ${noisy.join(', ')}; rerun on an idle machine before trusting those ratios.`];
}

function httpRow(name: string, s: ScenarioResult): string {
  const rss = s.serverRssMiB == null ? '–' : s.serverRssMiB.toFixed(0);
  return `| ${name} | ${formatRate(s.rps)} | ${formatMs(s.p50Ms)} | ${formatMs(s.p99Ms)} | ${s.requests} | ${s.errors + s.timeouts} | ${s.non2xx} | ` +
    `${cores(s.serverCpuCores)} | ${perOp(s.serverCpuCores, s.rps)} | ${rss} | ${cores(s.loadgenCpuCores)} | ${cores(s.otherCpuCores)} |`;
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
