/**
 * Accounts with TOTP for the login-with-TOTP run, and their codes. Why many: a TOTP code is accepted once per time
 * step and account (CONTRACT §5), so a run of a few thousand logins needs that many account-steps to draw from.
 */
import { Secret, TOTP } from 'otpauth';
import { expectStatus, JSON_HEADERS } from './http.js';
import { BENCH_USER } from './params.js';

/** RFC 6238's 30-second step, as Gatehouse and every authenticator app use it. */
const STEP_MS = 30_000;

/** One seeded account: how it signs in, its TOTP secret, and the last step a code of it was used for. */
export interface TotpAccount {
  email: string;
  secret: string;
  lastStep: number;
}

/** The TOTP time step now. */
export function currentStep(): number {
  return Math.floor(Date.now() / STEP_MS);
}

/** The code of `secret` for time step `step` (computed here, as an authenticator app would). */
export function totpCode(secret: string, step: number): string {
  return new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate({ timestamp: step * STEP_MS });
}

/**
 * Registers `count` accounts (the bench server confirms at once), signs each in, sets up TOTP and confirms it with
 * the previous step's code (inside the ±1-step window), so every account can sign in with a code right away.
 */
export async function seedTotpAccounts(base: string, count: number, concurrency = 4): Promise<TotpAccount[]> {
  const accounts: TotpAccount[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) accounts.push(await seedOne(base, next++));
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return accounts;
}

async function seedOne(base: string, n: number): Promise<TotpAccount> {
  const email = `totp${n}@bench.example`;
  const post = (path: string, body: unknown, token?: string) => fetch(`${base}${path}`, {
    method: 'POST', headers: token ? { ...JSON_HEADERS, authorization: `Bearer ${token}` } : JSON_HEADERS, body: JSON.stringify(body ?? {}),
  });
  await expectStatus(await post('/api/auth/register', { email, password: BENCH_USER.password }), 'register (TOTP account)', 201);
  const login = await post('/api/auth/login', { email, password: BENCH_USER.password });
  await expectStatus(login, 'login (TOTP account)', 200);
  const { accessToken } = (await login.json()) as { accessToken: string };
  const setup = await post('/api/auth/mfa/totp', {}, accessToken);
  await expectStatus(setup, 'TOTP set-up', 200);
  const { secret } = (await setup.json()) as { secret: string };
  // The previous step's code: a step boundary between computing it and the server's check makes it two steps old
  // (refused), so that one attempt is repeated with the new previous step.
  for (let attempt = 0; ; attempt++) {
    const lastStep = currentStep() - 1;
    const confirm = await post('/api/auth/mfa/totp/confirm', { code: totpCode(secret, lastStep) }, accessToken);
    if (confirm.status === 200 || attempt > 0) {
      await expectStatus(confirm, 'TOTP confirm', 200);
      return { email, secret, lastStep };
    }
  }
}
