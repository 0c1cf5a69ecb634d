import { expect } from 'vitest';
import { goodPassword, startServer, type Answer, type Dialect, type TestServer } from './server.js';

/*
 * What the lockout suites (test/lockout.*.test.ts) share: the server they start, fresh accounts, one password
 * attempt at each entry point (`POST /api/auth/login`, `POST /auth/cookie`, HTTP Basic) and the answers to expect.
 */

/** Milliseconds in a second and a minute, for lock durations and the clock. */
export const second = 1000;
/** See {@link second}. */
export const minute = 60 * second;
/** The wrong password every failed attempt types. */
export const wrongPassword = 'Wrong-Horse-0000';
/** The bootstrap admin's password. */
export const adminPassword = 'bootstrap-pw';
/** Registration with this key confirms at once. */
export const confirmationKey = 'lockout-suite-confirmation-key';

/** The three password entry points. */
export type Entry = 'api' | 'cookie' | 'basic';
export const entries: Entry[] = ['api', 'cookie', 'basic'];

/** Every server of this suite: Basic on, registration confirms at once, no per-address rate limit in the way. */
export function serverConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return deepMergeSimple(
    {
      httpBasic: { enabled: true },
      signup: { confirmationKey },
      // 50 simultaneous logins from one address must reach the lockout, not an address rate limit.
      rateLimit: { enabled: false },
      // ... nor the bounded hashing queue (8 slots: 64 waiting places; its own test is in lockout.configured.test.ts).
      password: { hash: { concurrency: 8 } },
    },
    extra,
  );
}

/** `extra` over `base`, objects merged key by key, anything else replaced. */
function deepMergeSimple(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    const plain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
    out[key] = plain(current) && plain(value) ? deepMergeSimple(current, value) : value;
  }
  return out;
}

/** A server of this suite (see {@link serverConfig}) with the bootstrap admin's password. */
export async function start(dialect: Dialect, config: Record<string, unknown> = {}, env: Record<string, string> = {}): Promise<TestServer> {
  return startServer(dialect, { config: serverConfig(config), env: { GATEHOUSE_ADMIN_PASSWORD: adminPassword, ...env } });
}

let accountsMade = 0;
/**
 * A fresh confirmed account, registered through the API; returns its id, username and e-mail. `serial` numbers its
 * names: by default this module's own count, or a suite's own when it names logins of its own from it.
 */
export async function account(server: TestServer, prefix = 'user', serial = ++accountsMade): Promise<{ id: string; username: string; email: string }> {
  const username = `${prefix}${serial}`;
  const email = `${prefix}${serial}@example.com`;
  const registered = await server.request('POST', '/api/auth/register', { json: { username, email, password: goodPassword, confirmationKey } });
  if (registered.status !== 201) throw new Error(`register failed: ${registered.status} ${registered.text}`);
  expect(registered.body.confirmed).toBe(true);
  return { id: registered.body.id, username, email };
}

/** An `Authorization: Basic` header value. */
function basic(login: string, password: string): string {
  return `Basic ${Buffer.from(`${login}:${password}`, 'utf8').toString('base64')}`;
}

/** One password attempt at one entry point. */
export function attempt(server: TestServer, entry: Entry, login: string, password: string): Promise<Answer> {
  switch (entry) {
    case 'api':
      return server.request('POST', '/api/auth/login', { json: login.includes('@') ? { email: login, password } : { username: login, password } });
    case 'cookie':
      return server.request('POST', '/auth/cookie', {
        body: new URLSearchParams({ auth_username: login, auth_password: password }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
    case 'basic':
      return server.request('GET', '/auth/user', { headers: { authorization: basic(login, password) } });
  }
}

/** A successful login at that entry point, for the given account. */
export function expectLoggedIn(answer: Answer, entry: Entry, accountId: string): void {
  expect(answer.status, answer.text).toBe(200);
  if (entry === 'api') expect(answer.body.userId).toBe(accountId);
  else expect(answer.body.id).toBe(accountId);
  if (entry === 'cookie') expect(answer.headers.get('set-cookie')).toMatch(/^auth_token=/);
}

/** A problem+json answer with this status and code. */
export function expectProblem(answer: Answer, status: number, code: string): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get('content-type')).toContain('application/problem+json');
  expect(answer.body).toMatchObject({ status, code, type: `/docs/errors#${code}` });
  expect(typeof answer.body.title).toBe('string');
}

/** 401 invalid-credentials, with no hint of a lock. */
export function expectInvalidCredentials(answer: Answer): void {
  expectProblem(answer, 401, 'invalid-credentials');
  expect(answer.headers.get('x-error-code')).toBe('invalid-credentials');
  expect(answer.headers.get('retry-after')).toBeNull();
}

/** 429 account-locked, problem+json, with `Retry-After` in whole seconds in (0, max]. Returns the seconds. */
export function expectLocked(answer: Answer, maxSeconds = 5 * 60): number {
  expectProblem(answer, 429, 'account-locked');
  const retryAfter = answer.headers.get('retry-after');
  expect(retryAfter).toMatch(/^[1-9][0-9]*$/);
  const seconds = Number(retryAfter);
  expect(seconds).toBeGreaterThan(0);
  expect(seconds).toBeLessThanOrEqual(maxSeconds);
  return seconds;
}

/** 403 login-method-disabled: password login is off for this name. */
export function expectDisabled(answer: Answer): void {
  expectProblem(answer, 403, 'login-method-disabled');
}

/** Fires `count` identical attempts at once and sorts the answers into checked (401) and refused (429). */
export async function burst(server: TestServer, entry: Entry, login: string, password: string, count: number): Promise<{ checked: Answer[]; refused: Answer[] }> {
  const answers = await Promise.all(Array.from({ length: count }, () => attempt(server, entry, login, password)));
  const checked = answers.filter((a) => a.status === 401);
  const refused = answers.filter((a) => a.status === 429);
  expect(answers.filter((a) => a.status !== 401 && a.status !== 429).map((a) => `${a.status} ${a.text}`)).toEqual([]);
  return { checked, refused };
}

/** `times` wrong passwords in a row at one entry point, each answered 401. */
export async function failTimes(server: TestServer, entry: Entry, login: string, times: number): Promise<void> {
  for (let i = 0; i < times; i += 1) expectInvalidCredentials(await attempt(server, entry, login, wrongPassword));
}

/** The lockout's counters as stored. */
export async function loginAttemptRows(server: TestServer) {
  return server.app.services.database.db.selectFrom('login_attempts').selectAll().execute();
}

