/**
 * The login with TOTP as a person's client does it: `POST /api/auth/login` (password; `401 mfa-required` with an
 * `mfaToken`), then `POST /api/auth/mfa/verify` with the current code — one completed login per pair. Each account
 * takes one code per time step, so the loop draws an account whose code for this step is not spent yet.
 */
import http from 'node:http';
import { jsonProbe, send } from './http.js';
import type { ScenarioResult, Stretch } from './load.js';
import { cpuColumns } from './load.js';
import { percentile, sumOf } from './stats.js';
import { BENCH_USER } from './params.js';
import { currentStep, totpCode, type TotpAccount } from './totp-accounts.js';

/** What one stretch of TOTP logins did. */
export interface TotpLoginRun {
  /** Completed logins (both requests answered as expected), each timed from the first request to the second's answer. */
  durationsMs: number[];
  failures: number;
  errors: number;
  /** Times a connection found no account with an unspent code this step and waited. */
  waits: number;
  seconds: number;
}

/** `connections` loops logging in with password and code for `seconds`. */
export async function runTotpLogins(base: URL, accounts: TotpAccount[], connections: number, seconds: number): Promise<TotpLoginRun> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const run: TotpLoginRun = { durationsMs: [], failures: 0, errors: 0, waits: 0, seconds: 0 };
  const started = performance.now();
  const end = started + seconds * 1000;
  let cursor = 0;
  const nextAccount = (step: number): TotpAccount | undefined => {
    for (let tried = 0; tried < accounts.length; tried++) {
      const account = accounts[cursor++ % accounts.length]!;
      if (account.lastStep < step) return account;
    }
    return undefined;
  };
  const loop = async () => {
    while (performance.now() < end) {
      const step = currentStep();
      const account = nextAccount(step);
      if (!account) {
        run.waits++;
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      account.lastStep = step;
      await loginOnce(base, agent, account, step, run);
    }
  };
  try {
    await Promise.all(Array.from({ length: connections }, loop));
  } finally {
    agent.destroy();
  }
  run.seconds = (performance.now() - started) / 1000;
  return run;
}

async function loginOnce(base: URL, agent: http.Agent, account: TotpAccount, step: number, run: TotpLoginRun): Promise<void> {
  const t0 = performance.now();
  try {
    const first = await send(base, agent, jsonProbe('POST', '/api/auth/login', { email: account.email, password: BENCH_USER.password }));
    const mfaToken = first.status === 401 ? (JSON.parse(first.body) as { mfaToken?: string }).mfaToken : undefined;
    if (!mfaToken) return void run.failures++;
    const second = await send(base, agent, jsonProbe('POST', '/api/auth/mfa/verify', { mfaToken, method: 'totp', code: totpCode(account.secret, step) }));
    if (second.status !== 200) return void run.failures++;
    run.durationsMs.push(performance.now() - t0);
  } catch {
    run.errors++;
  }
}

/** Stretches of TOTP logins as one result in the shape of the other runs (a "request" here is one whole login). */
export function summarizeTotpLogins(stretches: Array<Stretch<TotpLoginRun>>, warmupFailures: number): ScenarioResult & { waits: number } {
  const cpu = cpuColumns(stretches);
  const durations = stretches.flatMap((stretch) => stretch.run.durationsMs).sort((a, b) => a - b);
  const failures = sumOf(stretches, (stretch) => stretch.run.failures);
  const errors = sumOf(stretches, (stretch) => stretch.run.errors);
  return {
    ...cpu,
    rps: durations.length / cpu.seconds,
    p50Ms: percentile(durations, 50),
    p99Ms: percentile(durations, 99),
    requests: durations.length + failures + errors,
    errors,
    timeouts: 0,
    non2xx: failures,
    statusCodes: { 200: durations.length, ...(failures ? { failed: failures } : {}) },
    warmupFailures,
    waits: sumOf(stretches, (stretch) => stretch.run.waits),
  };
}
