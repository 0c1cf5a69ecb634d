import { cpuMark, otherCpuCores } from './cpu.js';

/** What a raw baseline child prints after `RESULT ` (argon2id verify, RS512 signing). */
export interface RawResult {
  operations: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
  cpuCores: number;
  /** Cores other programs used meanwhile (see bench/cpu.ts). */
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
  const mark = cpuMark();
  const cpuBefore = process.cpuUsage();
  const { durations, failures, elapsed } = await loopFor(operation, options.concurrency, options.seconds);
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

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** Prints the result line the harness waits for, then leaves (the pipe watch would keep the process alive). */
export function reportAndExit(result: RawResult): never {
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}
