import { createInterface } from 'node:readline';
import { cpuMark, otherCpuCores } from './cpu.js';
import { combinedLatency, percentile, sumOf } from './stats.js';

/** What a raw baseline child prints after `RESULT ` (argon2id verify, RS512 signing). */
export interface RawResult {
  operations: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
  cpuCores: number;
  /** Cores other programs used meanwhile (see bench/lib/cpu.ts). */
  otherCpuCores: number | null;
}

/** Runs `operation` with `concurrency` in flight until `seconds` pass; returns each duration and the failures. */
async function loopFor(operation: () => Promise<boolean>, concurrency: number, seconds: number): Promise<{ durations: number[]; failures: number; elapsed: number }> {
  const start = performance.now();
  const end = start + seconds * 1000;
  const durations: number[] = [];
  let failures = 0;
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      const t0 = performance.now();
      if (!(await operation())) failures++;
      durations.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { durations, failures, elapsed: (performance.now() - start) / 1000 };
}

/**
 * Warms up, then measures `operation` in this process: throughput, latency and the CPU it took.
 * Why: a baseline is the same work with nothing of Gatehouse around it, so it gets a process of its own.
 */
export async function measureRaw(operation: () => Promise<boolean>, options: { concurrency: number; warmupSeconds: number; seconds: number }): Promise<RawResult> {
  await loopFor(operation, options.concurrency, options.warmupSeconds);
  return measureStretch(operation, options.concurrency, options.seconds);
}

/** One measured stretch of `seconds`, without a warm-up. */
async function measureStretch(operation: () => Promise<boolean>, concurrency: number, seconds: number): Promise<RawResult> {
  const mark = cpuMark();
  const cpuBefore = process.cpuUsage();
  const { durations, failures, elapsed } = await loopFor(operation, concurrency, seconds);
  const cpu = process.cpuUsage(cpuBefore);
  const ownCpuSeconds = (cpu.user + cpu.system) / 1e6;
  durations.sort((a, b) => a - b);
  return {
    operations: durations.length,
    seconds: elapsed,
    perSecond: durations.length / elapsed,
    p50Ms: percentile(durations, 50),
    p99Ms: percentile(durations, 99),
    failures,
    cpuCores: ownCpuSeconds / elapsed,
    otherCpuCores: otherCpuCores(mark, ownCpuSeconds),
  };
}

/**
 * Turns mode: warms up, prints `READY`, then measures one stretch for each `RUN <seconds>` line on stdin and prints
 * its `RESULT {json}`. Why: the harness alternates these stretches with the Gatehouse run they are compared with.
 */
export async function serveTurns(operation: () => Promise<boolean>, options: { concurrency: number; warmupSeconds: number }): Promise<void> {
  await loopFor(operation, options.concurrency, options.warmupSeconds);
  let queue = Promise.resolve();
  createInterface({ input: process.stdin }).on('line', (line) => {
    const seconds = Number(/^RUN (\S+)$/.exec(line)?.[1]);
    if (!(seconds > 0)) return;
    queue = queue.then(async () => {
      process.stdout.write(`RESULT ${JSON.stringify(await measureStretch(operation, options.concurrency, seconds))}\n`);
    });
  });
  process.stdout.write('READY\n');
}

/** Stretches measured in turns, as one: counts and CPU summed, the p50 weighted by operations, the worst p99. */
export function combinedStretches(stretches: RawResult[]): RawResult {
  const sum = (value: (r: RawResult) => number) => sumOf(stretches, value);
  const operations = sum((r) => r.operations);
  const seconds = sum((r) => r.seconds);
  const otherKnown = stretches.every((r) => r.otherCpuCores !== null);
  return {
    operations,
    seconds,
    perSecond: operations / seconds,
    ...combinedLatency(stretches.map((r) => ({ count: r.operations, p50Ms: r.p50Ms, p99Ms: r.p99Ms }))),
    failures: sum((r) => r.failures),
    cpuCores: sum((r) => r.cpuCores * r.seconds) / seconds,
    otherCpuCores: otherKnown ? sum((r) => r.otherCpuCores! * r.seconds) / seconds : null,
  };
}

/** Prints the result line the harness waits for, then leaves (the pipe watch would keep the process alive). */
export function reportAndExit(result: RawResult): never {
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}
