import { execFileSync } from 'node:child_process';
import { expect } from 'vitest';
import { goodPassword, registerAndLogin, type TestServer } from './server.js';

/** One TOTP time step. */
export const STEP = 30_000;

/** The code Debian's oathtool (not the library under test) computes for `secret` at `ms`. */
export function oathtool(secret: string, ms: number): string {
  return execFileSync('oathtool', ['--totp', '-b', '-N', `@${Math.floor(ms / 1000)}`, secret], { encoding: 'utf8' }).trim();
}

/** The payload of a JWT, read without checking it (other tests check signatures): to look at its `amr`. */
export const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));

export const uniqueEmail = (label: string) => `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;

/** An account that set up TOTP through the API: its login, secret and recovery codes. */
export interface EnrolledUser {
  email: string;
  userId: string;
  secret: string;
  recoveryCodes: string[];
}

/** Registers an account and sets up TOTP with the HTTP API, confirming with oathtool's code; the clock moves a step on. */
export async function enrolTotp(server: TestServer, label = 'mfa'): Promise<EnrolledUser> {
  const email = uniqueEmail(label);
  const { userId, accessToken } = await registerAndLogin(server, email);
  return { email, userId, ...(await addTotp(server, accessToken)) };
}

/** Sets up TOTP for the account of `accessToken` (an existing one), confirming with oathtool's code; the clock moves a step on. */
export async function addTotp(server: TestServer, accessToken: string): Promise<{ secret: string; recoveryCodes: string[] }> {
  const setup = await server.request('POST', '/api/auth/mfa/totp', { token: accessToken });
  expect(setup.status, setup.text).toBe(200);
  const confirm = await server.request('POST', '/api/auth/mfa/totp/confirm', { token: accessToken, json: { code: oathtool(setup.body.secret, server.clock.now()) } });
  expect(confirm.status, confirm.text).toBe(200);
  server.clock.advance(STEP);
  return { secret: setup.body.secret, recoveryCodes: confirm.body.recoveryCodes };
}

/** A password login through the API, expected to stop at the second step; answers the `mfaToken`. */
export async function passwordStep(server: TestServer, email: string, password = goodPassword): Promise<string> {
  const login = await server.request('POST', '/api/auth/login', { json: { email, password } });
  expect(login.status, login.text).toBe(401);
  expect(login.body.code).toBe('mfa-required');
  return login.body.mfaToken;
}
