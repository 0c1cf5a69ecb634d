/**
 * The login baseline: argon2id verifies with the production parameters, `--concurrency` in flight, for a fixed time.
 * Why: runs in its own process so it has the libuv threadpool to itself, exactly like the server's hasher would.
 * Prints `RESULT {json}` (see {@link RawResult}).
 */
import { parseArgs } from 'node:util';
import { hash, verify, type Algorithm } from '@node-rs/argon2';
import { cpuMark, otherCpuCores } from './cpu.js';
import { BENCH_USER, PRODUCTION_HASH } from './params.js';
import { exitWithParent } from './serve.js';

/** What the harness reads back. */
export interface RawResult {
  verifies: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
  cpuCores: number;
  /** Cores other programs used meanwhile (see bench/cpu.ts). */
  otherCpuCores: number | null;
}

// `Algorithm` is a const enum in the typings and `{}` at runtime (see src/passwords/hasher.ts).
const ARGON2ID = 2 as Algorithm;

/** Verifies with `concurrency` loops until `seconds` pass; returns each verify's duration and the failures. */
async function verifyFor(stored: string, concurrency: number, seconds: number): Promise<{ durations: number[]; failures: number; elapsed: number }> {
  const start = performance.now();
  const end = start + seconds * 1000;
  const durations: number[] = [];
  let failures = 0;
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      const t0 = performance.now();
      if (!(await verify(stored, BENCH_USER.password))) failures++;
      durations.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { durations, failures, elapsed: (performance.now() - start) / 1000 };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      concurrency: { type: 'string' }, duration: { type: 'string' }, warmup: { type: 'string' }, 'exit-with-parent': { type: 'boolean' },
    },
  });
  if (values['exit-with-parent']) exitWithParent();
  const concurrency = Number(values.concurrency ?? 1);
  const stored = await hash(BENCH_USER.password, { ...PRODUCTION_HASH, algorithm: ARGON2ID });
  await verifyFor(stored, concurrency, Number(values.warmup ?? 2));
  const mark = cpuMark();
  const cpuBefore = process.cpuUsage();
  const { durations, failures, elapsed } = await verifyFor(stored, concurrency, Number(values.duration ?? 10));
  const cpu = process.cpuUsage(cpuBefore);
  const ownCpuSeconds = (cpu.user + cpu.system) / 1e6;
  durations.sort((a, b) => a - b);
  const result: RawResult = {
    verifies: durations.length,
    seconds: elapsed,
    perSecond: durations.length / elapsed,
    p50Ms: percentile(durations, 50),
    p99Ms: percentile(durations, 99),
    failures,
    cpuCores: ownCpuSeconds / elapsed,
    otherCpuCores: otherCpuCores(mark, ownCpuSeconds),
  };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  // The pipe watch keeps stdin open; the result is out, so leave now.
  process.exit(0);
}

await main();
