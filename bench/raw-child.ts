/**
 * Raw baselines in processes of their own (bench/argon2-raw.ts, bench/sign-raw.ts): the limits the targets divide by.
 */
import { NOISY_OTHER_CORES } from './cpu.js';
import { announce } from './gatehouse.js';
import { CONNECTIONS, HASH_CONCURRENCY, TIMING } from './params.js';
import { spawnBenchChild, stopChild, waitForLine } from './processes.js';
import type { RawResult } from './raw-loop.js';

const RAW_TIMEOUT_MS = 60_000;
/** Measurements of a raw baseline at most, when other programs keep disturbing it. */
const RAW_ATTEMPTS = 3;

/** A raw baseline child in turns mode: each `measure` is one stretch of the given length. */
export interface RawTurns {
  measure(seconds: number): Promise<RawResult>;
  stop(): Promise<void>;
}

/**
 * argon2id verifies with the production parameters, as many in flight as Gatehouse's hasher allows, warmed up once
 * and then measured in stretches on request, so that they can alternate with the login runs they are compared with.
 */
export async function startArgon2Turns(): Promise<RawTurns> {
  const args = ['--turns', '--concurrency', String(HASH_CONCURRENCY), '--warmup', String(TIMING.warmupSeconds)];
  const child = spawnBenchChild('argon2-raw.ts', args);
  await waitForLine(child, 'READY', TIMING.warmupSeconds * 1000 + RAW_TIMEOUT_MS);
  return {
    async measure(seconds) {
      const result = waitForLine(child, 'RESULT ', seconds * 1000 + RAW_TIMEOUT_MS);
      child.stdin!.write(`RUN ${seconds}\n`);
      return JSON.parse(await result) as RawResult;
    },
    stop: () => stopChild(child),
  };
}

/** RS512 signing of Gatehouse's access-token claims with jose, as many in flight as the load has connections. */
export async function measureSigning(when: string): Promise<RawResult> {
  await announce(`raw RS512 signing, ${CONNECTIONS} in flight (${when})`);
  return measureRawChild('sign-raw.ts', CONNECTIONS);
}

/**
 * One raw baseline, measured again (up to {@link RAW_ATTEMPTS} times) while other programs used the CPU during
 * it; the quietest measurement counts. Why: every ratio of its targets divides by it, so one disturbed baseline
 * would skew them all.
 */
async function measureRawChild(script: string, concurrency: number): Promise<RawResult> {
  const args = ['--concurrency', String(concurrency), '--duration', String(TIMING.durationSeconds), '--warmup', String(TIMING.warmupSeconds)];
  const timeout = (TIMING.warmupSeconds + TIMING.durationSeconds) * 1000 + RAW_TIMEOUT_MS;
  let quietest: RawResult | undefined;
  for (let attempt = 1; attempt <= RAW_ATTEMPTS; attempt++) {
    if (attempt > 1) await announce(`${script} again: other programs used ${quietest!.otherCpuCores!.toFixed(2)} cores during it`);
    const result = JSON.parse(await waitForLine(spawnBenchChild(script, args), 'RESULT ', timeout)) as RawResult;
    if (!quietest || (result.otherCpuCores ?? 0) < (quietest.otherCpuCores ?? 0)) quietest = result;
    if ((quietest.otherCpuCores ?? 0) <= NOISY_OTHER_CORES) break;
  }
  return quietest!;
}

/**
 * Two measurements of one baseline taken on either side of what it is compared with, as one. Why: this virtual
 * machine's speed drifts by 5–20 % within minutes; the mean of a bracket cancels a steady drift.
 */
export function meanOf(a: RawResult, b: RawResult): RawResult {
  const mean = (x: number, y: number) => (x + y) / 2;
  return {
    operations: a.operations + b.operations,
    seconds: a.seconds + b.seconds,
    perSecond: mean(a.perSecond, b.perSecond),
    p50Ms: mean(a.p50Ms, b.p50Ms),
    p99Ms: Math.max(a.p99Ms, b.p99Ms),
    failures: a.failures + b.failures,
    cpuCores: mean(a.cpuCores, b.cpuCores),
    otherCpuCores: a.otherCpuCores === null || b.otherCpuCores === null ? null : mean(a.otherCpuCores, b.otherCpuCores),
  };
}
