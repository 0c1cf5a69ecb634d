/**
 * Issue 17 item 8, the login with TOTP beside the plain login: password then code (`POST /api/auth/login`, `401
 * mfa-required`, `POST /api/auth/mfa/verify`) in turns with raw argon2id verifies, as the plain login is measured, so
 * the two ratios can be read side by side. No target of its own: the second request should cost little next to the
 * password's argon2id, and the report shows how little.
 */
import { announce, waitForIdleServer } from '../lib/cpu.js';
import { formatRate } from '../lib/format.js';
import { alternate, measureStretch, type ScenarioResult } from '../lib/load.js';
import { CONNECTIONS, HASH_CONCURRENCY, TIMING } from '../lib/params.js';
import type { BenchServer } from '../lib/processes.js';
import { combinedStretches, type RawResult } from '../lib/raw-loop.js';
import { startArgon2Turns } from '../lib/raw-turns.js';
import type { Measured } from '../lib/targets.js';
import { seedTotpAccounts } from '../lib/totp-accounts.js';
import { runTotpLogins, summarizeTotpLogins } from '../lib/totp-login-load.js';
import { LOGINS } from './login.js';

/** The run's name, as the report lists it. */
export const TOTP_LOGIN = 'POST /api/auth/login + POST /api/auth/mfa/verify (TOTP)';
const IN_TURNS = `raw argon2id verify, in turns with ${TOTP_LOGIN}`;

/**
 * Logins per second a run can need at most, times the seconds a step lasts: an account's code is taken once per
 * 30-second step, so this many accounts never run dry at up to 100 logins/s (quick runs need far fewer).
 */
function accountsNeeded(): number {
  return process.env.BENCH_SECONDS ? 200 : 3000;
}

/** The TOTP login on `server`, seeded with accounts of its own; `plain` is the logins scenario's result, for the note. */
export async function measureTotpLogin(server: BenchServer, plain: Measured): Promise<Measured> {
  const pid = server.child.pid!;
  const base = new URL(server.base);
  const accounts = await seedTotpAccounts(server.base, accountsNeeded());
  const argon2 = await startArgon2Turns();
  try {
    await announce(`${TOTP_LOGIN}, ${CONNECTIONS} connections, in turns with raw argon2id verify (${HASH_CONCURRENCY} in flight)`, TIMING.loginWarmupSeconds);
    await waitForIdleServer(pid);
    const warmup = await runTotpLogins(base, accounts, CONNECTIONS, TIMING.loginWarmupSeconds);
    const stretch = (seconds: number) => measureStretch(pid, () => runTotpLogins(base, accounts, CONNECTIONS, seconds), (run) => run.seconds);
    const { stretches, others } = await alternate(pid, stretch, (seconds) => argon2.measure(seconds));
    const { waits, ...result } = summarizeTotpLogins(stretches, warmup.failures + warmup.errors);
    const raw = combinedStretches(others);
    return { targets: [], runs: { [TOTP_LOGIN]: result }, raw: { [IN_TURNS]: raw }, notes: [totpNote(result, raw, plain, waits)] };
  } finally {
    await argon2.stop();
  }
}

/** The TOTP login's share of raw argon2id beside the plain API login's, from the same run. */
function totpNote(result: ScenarioResult, raw: RawResult, plain: Measured, waits: number): string {
  const plainRun = plain.runs[LOGINS[0]];
  const plainRaw = plain.raw?.[`raw argon2id verify, in turns with ${LOGINS[0]}`];
  const plainRatio = plainRun && plainRaw ? (plainRun.rps / plainRaw.perSecond).toFixed(2) : 'n/a';
  return `Login with TOTP (password, then the code: two requests, one argon2id verify) reached ${(result.rps / raw.perSecond).toFixed(2)} ` +
    `of raw argon2id in its turns (${formatRate(result.rps)} logins/s against ${formatRate(raw.perSecond)}/s); the plain API login ` +
    `reached ${plainRatio} in its own. Each of ${accountsNeeded()} accounts took one code per 30-second step` +
    (waits ? `; connections waited ${waits} times for an account with an unspent code, which lowers the TOTP rate.` : '.');
}
