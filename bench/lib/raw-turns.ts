/**
 * Raw baselines in processes of their own (bench/children/argon2-raw.ts, sign-raw.ts): the limits the targets divide by.
 */
import { CONNECTIONS, HASH_CONCURRENCY, TIMING } from './params.js';
import { spawnBenchChild, stopChild, waitForLine } from './processes.js';
import type { RawResult } from './raw-loop.js';

const RAW_TIMEOUT_MS = 60_000;

/** A raw baseline child in turns mode: each `measure` is one stretch of the given length. */
export interface RawTurns {
  measure(seconds: number): Promise<RawResult>;
  stop(): Promise<void>;
}

/**
 * argon2id verifies with the production parameters, as many in flight as Gatehouse's hasher allows, warmed up once
 * and then measured in stretches on request, so that they can alternate with the login runs they are compared with.
 */
export function startArgon2Turns(): Promise<RawTurns> {
  return startRawTurns('children/argon2-raw.ts', HASH_CONCURRENCY);
}

/**
 * Signing with jose, as many in flight as the load has connections, in stretches on request, so that they can
 * alternate with the runs they are compared with: RS512 of Gatehouse's access-token claims (refresh), or RS256 of a
 * client's RFC 9068 access token (the OpenID provider's grants); see bench/children/sign-raw.ts.
 */
export function startSigningTurns(alg: 'RS512' | 'RS256' = 'RS512'): Promise<RawTurns> {
  return startRawTurns('children/sign-raw.ts', CONNECTIONS, ['--alg', alg]);
}

/** A raw baseline child in turns mode (bench/lib/raw-loop.ts `serveTurns`), ready once it has warmed up. */
async function startRawTurns(script: string, concurrency: number, extra: string[] = []): Promise<RawTurns> {
  const args = ['--turns', '--concurrency', String(concurrency), '--warmup', String(TIMING.warmupSeconds), ...extra];
  const child = spawnBenchChild(script, args);
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
