import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, goodPassword, startServer, type Answer, type Dialect, type TestServer } from './helpers/server.js';

/**
 * Temporary lockout and password-login control (seed 004 "Temporary lockout of user" and "Password authentication
 * control"; CONTRACT §2 `lockout.*`, `password.login/whitelist/blacklist`, `httpBasic.enabled`; §4).
 * Everything goes over the real socket, through every password entry point: `POST /api/auth/login`,
 * `POST /auth/cookie` and HTTP Basic (`GET /auth/user` with `Authorization: Basic`).
 */

const second = 1000;
const minute = 60 * second;
const hour = 60 * minute;
const wrongPassword = 'Wrong-Horse-0000';
const adminPassword = 'bootstrap-pw';
const confirmationKey = 'lockout-suite-confirmation-key';

type Entry = 'api' | 'cookie' | 'basic';
const entries: Entry[] = ['api', 'cookie', 'basic'];

/** Every server of this suite: Basic on, registration confirms at once, no per-address rate limit in the way. */
function serverConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return deepMergeSimple(
    {
      httpBasic: { enabled: true },
      signup: { confirmationKey },
      // 50 simultaneous logins from one address must reach the lockout, not an address rate limit.
      rateLimit: { enabled: false },
      // ... nor the bounded hashing queue (8 slots: 64 waiting places; its own test is at the end of this file).
      password: { hash: { concurrency: 8 } },
    },
    extra,
  );
}

function deepMergeSimple(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    const plain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
    out[key] = plain(current) && plain(value) ? deepMergeSimple(current, value) : value;
  }
  return out;
}

async function start(dialect: Dialect, config: Record<string, unknown> = {}, env: Record<string, string> = {}): Promise<TestServer> {
  return startServer(dialect, { config: serverConfig(config), env: { GATEHOUSE_ADMIN_PASSWORD: adminPassword, ...env } });
}

let counter = 0;
/** A fresh confirmed account, registered through the API; returns its id, username and e-mail. */
async function account(server: TestServer, prefix = 'user'): Promise<{ id: string; username: string; email: string }> {
  counter += 1;
  const username = `${prefix}${counter}`;
  const email = `${prefix}${counter}@example.com`;
  const registered = await server.request('POST', '/api/auth/register', { json: { username, email, password: goodPassword, confirmationKey } });
  if (registered.status !== 201) throw new Error(`register failed: ${registered.status} ${registered.text}`);
  expect(registered.body.confirmed).toBe(true);
  return { id: registered.body.id, username, email };
}

function basic(login: string, password: string): string {
  return `Basic ${Buffer.from(`${login}:${password}`, 'utf8').toString('base64')}`;
}

/** One password attempt at one entry point. */
function attempt(server: TestServer, entry: Entry, login: string, password: string): Promise<Answer> {
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
function expectLoggedIn(answer: Answer, entry: Entry, accountId: string): void {
  expect(answer.status, answer.text).toBe(200);
  if (entry === 'api') expect(answer.body.userId).toBe(accountId);
  else expect(answer.body.id).toBe(accountId);
  if (entry === 'cookie') expect(answer.headers.get('set-cookie')).toMatch(/^auth_token=/);
}

function expectProblem(answer: Answer, status: number, code: string): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get('content-type')).toContain('application/problem+json');
  expect(answer.body).toMatchObject({ status, code, type: `/docs/errors#${code}` });
  expect(typeof answer.body.title).toBe('string');
}

function expectInvalidCredentials(answer: Answer): void {
  expectProblem(answer, 401, 'invalid-credentials');
  expect(answer.headers.get('x-error-code')).toBe('invalid-credentials');
  expect(answer.headers.get('retry-after')).toBeNull();
}

/** 429 account-locked, problem+json, with `Retry-After` in whole seconds in (0, max]. Returns the seconds. */
function expectLocked(answer: Answer, maxSeconds = 5 * 60): number {
  expectProblem(answer, 429, 'account-locked');
  const retryAfter = answer.headers.get('retry-after');
  expect(retryAfter).toMatch(/^[1-9][0-9]*$/);
  const seconds = Number(retryAfter);
  expect(seconds).toBeGreaterThan(0);
  expect(seconds).toBeLessThanOrEqual(maxSeconds);
  return seconds;
}

function expectDisabled(answer: Answer): void {
  expectProblem(answer, 403, 'login-method-disabled');
}

/** Fires `count` identical attempts at once and sorts the answers into checked (401) and refused (429). */
async function burst(server: TestServer, entry: Entry, login: string, password: string, count: number): Promise<{ checked: Answer[]; refused: Answer[] }> {
  const answers = await Promise.all(Array.from({ length: count }, () => attempt(server, entry, login, password)));
  const checked = answers.filter((a) => a.status === 401);
  const refused = answers.filter((a) => a.status === 429);
  expect(answers.filter((a) => a.status !== 401 && a.status !== 429).map((a) => `${a.status} ${a.text}`)).toEqual([]);
  return { checked, refused };
}

async function failTimes(server: TestServer, entry: Entry, login: string, times: number): Promise<void> {
  for (let i = 0; i < times; i += 1) expectInvalidCredentials(await attempt(server, entry, login, wrongPassword));
}

async function loginAttemptRows(server: TestServer) {
  return server.app.services.database.db.selectFrom('login_attempts').selectAll().execute();
}

/** Headers of an answer minus the ones that legitimately vary between two requests. */
function stableHeaders(answer: Answer): Record<string, string> {
  const out: Record<string, string> = {};
  answer.headers.forEach((value, name) => {
    if (!['date', 'retry-after', 'keep-alive', 'connection'].includes(name)) out[name] = value;
  });
  return out;
}

describe.each(dialects)('lockout and password-login control on %s', (dialect) => {
  describe('default settings (maxAttempts 5, duration 5m, admins locked)', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await start(dialect);
    });
    afterAll(async () => server?.close());

    describe.each(entries)('exactness under concurrency at %s', (entry) => {
      it('checks exactly 5 of 50 simultaneous wrong passwords and refuses the other 45 with 429 + Retry-After', async () => {
        const user = await account(server, `burst${entry}`);
        const { checked, refused } = await burst(server, entry, user.username, wrongPassword, 50);
        expect(checked).toHaveLength(5);
        expect(refused).toHaveLength(45);
        checked.forEach(expectInvalidCredentials);
        for (const answer of refused) expectLocked(answer);
        // Locked now: even the right password is refused.
        expectLocked(await attempt(server, entry, user.username, goodPassword));
        // Exactly five wrong passwords were checked, and exactly one lock started.
        const events = await server.app.services.database.db.selectFrom('audit_events').select(['type', 'data']).where('account_id', '=', user.id).execute();
        expect(events.filter((e) => e.type === 'login.failed')).toHaveLength(5);
        expect(events.filter((e) => e.type === 'login.locked' && e.data !== null && JSON.parse(e.data).started === true)).toHaveLength(1);
        expect(events.filter((e) => e.type === 'login.succeeded')).toHaveLength(0);
      });
    });

    it('checks exactly 5 of 60 simultaneous wrong passwords spread over all entry points and both login names', async () => {
      const user = await account(server, 'mixed');
      const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => attempt(server, entries[i % 3]!, i % 2 ? user.email : user.username, wrongPassword)));
      expect(answers.filter((a) => a.status === 401)).toHaveLength(5);
      expect(answers.filter((a) => a.status === 429)).toHaveLength(55);
      answers.filter((a) => a.status === 401).forEach(expectInvalidCredentials);
      for (const answer of answers.filter((a) => a.status === 429)) expectLocked(answer);
    });

    it('lets simultaneous right passwords in when no wrong password was ever typed (a page opening parallel Basic requests)', async () => {
      const user = await account(server, 'parallel');
      const viaBasic = await Promise.all(Array.from({ length: 12 }, () => attempt(server, 'basic', user.username, goodPassword)));
      const viaApi = await Promise.all(Array.from({ length: 12 }, () => attempt(server, 'api', user.email, goodPassword)));
      // Only wrong passwords count (seed 004): a burst of right ones, more than maxAttempts at once, all get in.
      expect({ basic: viaBasic.map((a) => a.status), api: viaApi.map((a) => a.status) }).toEqual({ basic: Array(12).fill(200), api: Array(12).fill(200) });
    });

    it('refuses the right password at every entry point while locked, with a Retry-After that counts down', async () => {
      const user = await account(server, 'locked');
      await failTimes(server, 'api', user.username, 5);
      for (const entry of entries) {
        expect(expectLocked(await attempt(server, entry, user.username, goodPassword))).toBe(300);
        expectLocked(await attempt(server, entry, user.email, goodPassword));
      }
      server.clock.advance(2 * minute);
      expect(expectLocked(await attempt(server, 'api', user.username, goodPassword))).toBe(180);
      server.clock.advance(3 * minute - 1);
      expect(expectLocked(await attempt(server, 'cookie', user.username, goodPassword))).toBe(1);
      server.clock.advance(1);
      // The lock is over: the right password works everywhere.
      for (const entry of entries) expectLoggedIn(await attempt(server, entry, user.username, goodPassword), entry, user.id);
    });

    it('resets the count on a success: 4 failures + 1 success, then 4 more failures do not lock and the 5th does', async () => {
      const user = await account(server, 'reset');
      await failTimes(server, 'api', user.username, 4);
      expectLoggedIn(await attempt(server, 'api', user.username, goodPassword), 'api', user.id);
      await failTimes(server, 'api', user.username, 4);
      expectLoggedIn(await attempt(server, 'cookie', user.username, goodPassword), 'cookie', user.id);
      await failTimes(server, 'api', user.username, 4);
      // Still not locked after 4: the 5th wrong password is checked (401) and starts the lock.
      expectInvalidCredentials(await attempt(server, 'api', user.username, wrongPassword));
      expectLocked(await attempt(server, 'api', user.username, goodPassword));
    });

    it('forgets an old streak of failures once the lock duration has passed since the last one', async () => {
      const user = await account(server, 'stale');
      await failTimes(server, 'api', user.username, 4);
      server.clock.advance(5 * minute + 1);
      await failTimes(server, 'api', user.username, 4);
      expectLoggedIn(await attempt(server, 'api', user.username, goodPassword), 'api', user.id);
    });

    it('counts an unknown login name exactly like a known one: same answers and headers (bar Retry-After)', async () => {
      const user = await account(server, 'known');
      const ghost = `ghost${counter}`;
      const knownAnswers: Answer[] = [];
      const ghostAnswers: Answer[] = [];
      for (let i = 0; i < 5; i += 1) {
        knownAnswers.push(await attempt(server, 'api', user.username, wrongPassword));
        ghostAnswers.push(await attempt(server, 'api', ghost, wrongPassword));
      }
      // The sixth attempt: the known account with its right password, the unknown name with anything.
      knownAnswers.push(await attempt(server, 'api', user.username, goodPassword));
      ghostAnswers.push(await attempt(server, 'api', ghost, goodPassword));
      knownAnswers.slice(0, 5).forEach(expectInvalidCredentials);
      ghostAnswers.slice(0, 5).forEach(expectInvalidCredentials);
      expectLocked(knownAnswers[5]!);
      expectLocked(ghostAnswers[5]!);
      for (let i = 0; i < 6; i += 1) {
        expect(ghostAnswers[i]!.status).toBe(knownAnswers[i]!.status);
        expect(ghostAnswers[i]!.body).toEqual(knownAnswers[i]!.body);
        expect(stableHeaders(ghostAnswers[i]!)).toEqual(stableHeaders(knownAnswers[i]!));
      }
      // The unknown name is locked at the other entry points too, whatever its case.
      expectLocked(await attempt(server, 'cookie', ghost.toUpperCase(), wrongPassword));
      expectLocked(await attempt(server, 'basic', ghost, wrongPassword));
    });

    it('locks an unknown name under 50 simultaneous attempts exactly like a known one', async () => {
      const { checked, refused } = await burst(server, 'api', `nobody${++counter}@example.com`, wrongPassword, 50);
      expect(checked).toHaveLength(5);
      expect(refused).toHaveLength(45);
      for (const answer of refused) expectLocked(answer);
    });

    it('shares one count between the username and the e-mail of one account (any case)', async () => {
      const user = await account(server, 'shared');
      await failTimes(server, 'api', user.username, 3);
      await failTimes(server, 'api', user.email.toUpperCase(), 2);
      expectLocked(await attempt(server, 'api', user.username, goodPassword));
      expectLocked(await attempt(server, 'api', user.email, goodPassword));
      expectLocked(await attempt(server, 'basic', user.email, goodPassword));
    });

    it('shares one count between every password entry point: 2 API + 2 cookie + 1 Basic → locked everywhere', async () => {
      const user = await account(server, 'everywhere');
      await failTimes(server, 'api', user.username, 2);
      await failTimes(server, 'cookie', user.email, 2);
      await failTimes(server, 'basic', user.username, 1);
      for (const entry of entries) expectLocked(await attempt(server, entry, user.username, goodPassword));
    });

    it('locks the admin too by default (lockout.admins true)', async () => {
      const admin = await attempt(server, 'api', 'admin', adminPassword);
      expect(admin.status, admin.text).toBe(200);
      await failTimes(server, 'api', 'admin', 5);
      for (const entry of entries) expectLocked(await attempt(server, entry, 'admin', adminPassword));
      expectLocked(await attempt(server, 'api', 'admin@localhost', adminPassword));
    });

    it('writes login.failed and login.locked audit rows for a locked account', async () => {
      const user = await account(server, 'audited');
      await failTimes(server, 'api', user.username, 5);
      expectLocked(await attempt(server, 'cookie', user.email, goodPassword));
      const rows = await server.app.services.database.db.selectFrom('audit_events').selectAll().where('account_id', '=', user.id).orderBy('id').execute();
      const failed = rows.filter((r) => r.type === 'login.failed');
      const locked = rows.filter((r) => r.type === 'login.locked');
      expect(failed).toHaveLength(5);
      expect(failed.every((r) => r.login_name === user.username)).toBe(true);
      expect(locked.length).toBeGreaterThanOrEqual(1);
      expect(locked.some((r) => r.data !== null && JSON.parse(r.data).started === true)).toBe(true);
      // The refused attempt is on record too, under the name that was typed.
      expect(locked.some((r) => r.login_name === user.email)).toBe(true);
      // No secret in the log.
      expect(JSON.stringify(rows)).not.toContain(wrongPassword);
      expect(JSON.stringify(rows)).not.toContain(goodPassword);
    });
  });

  describe('configured lockout', () => {
    it('lockout.maxAttempts 3: exactly 3 of 50 simultaneous wrong passwords are checked', async () => {
      const server = await start(dialect, { lockout: { maxAttempts: 3 } });
      try {
        const user = await account(server, 'three');
        const { checked, refused } = await burst(server, 'api', user.email, wrongPassword, 50);
        expect(checked).toHaveLength(3);
        expect(refused).toHaveLength(47);
        for (const answer of refused) expectLocked(answer);
        // Sequentially too: 3 failures lock.
        const other = await account(server, 'three');
        await failTimes(server, 'cookie', other.username, 3);
        expectLocked(await attempt(server, 'api', other.username, goodPassword));
      } finally {
        await server.close();
      }
    });

    it('stays exact across two nodes sharing one database: 5 of 50 checked in all', async () => {
      const first = await start(dialect);
      let second: TestServer | undefined;
      try {
        second = await startServer(dialect, { database: first.database, smtp: first.smtp, clock: first.clock, config: serverConfig(), env: { GATEHOUSE_ADMIN_PASSWORD: adminPassword } });
        const user = await account(first, 'nodes');
        const nodes = [first, second];
        const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => attempt(nodes[i % 2]!, entries[i % 3]!, user.username, wrongPassword)));
        expect(answers.filter((a) => a.status === 401)).toHaveLength(5);
        expect(answers.filter((a) => a.status === 429)).toHaveLength(45);
        expectLocked(await attempt(second, 'api', user.username, goodPassword));
        expectLocked(await attempt(first, 'cookie', user.username, goodPassword));
      } finally {
        await second?.close();
        await first.close();
      }
    });

    it("lockout.duration '1h': locked for an hour, then the right password works", async () => {
      const server = await start(dialect, { lockout: { duration: '1h' } });
      try {
        const user = await account(server, 'hour');
        await failTimes(server, 'api', user.username, 5);
        expect(expectLocked(await attempt(server, 'api', user.username, goodPassword), 3600)).toBe(3600);
        server.clock.advance(59 * minute);
        expect(expectLocked(await attempt(server, 'basic', user.username, goodPassword), 3600)).toBe(60);
        server.clock.advance(minute);
        expectLoggedIn(await attempt(server, 'basic', user.username, goodPassword), 'basic', user.id);
      } finally {
        await server.close();
      }
    });

    it("lockout.duration '90000' (a bare number is milliseconds): locked for 90 s", async () => {
      const server = await start(dialect, { lockout: { duration: '90000' } });
      try {
        expect(server.config.lockout.duration).toBe(90 * second);
        const user = await account(server, 'bare');
        await failTimes(server, 'api', user.username, 5);
        expect(expectLocked(await attempt(server, 'api', user.username, goodPassword), 90)).toBe(90);
        server.clock.advance(90 * second - 1);
        expect(expectLocked(await attempt(server, 'cookie', user.username, goodPassword), 90)).toBe(1);
        server.clock.advance(1);
        expectLoggedIn(await attempt(server, 'cookie', user.username, goodPassword), 'cookie', user.id);
      } finally {
        await server.close();
      }
    });

    it('lockout.maxAttempts -1 disables the lockout: 20 failures, then the right password works', async () => {
      const server = await start(dialect, { lockout: { maxAttempts: -1 } });
      try {
        const user = await account(server, 'nolock');
        await failTimes(server, 'api', user.username, 8);
        await failTimes(server, 'cookie', user.username, 6);
        await failTimes(server, 'basic', user.username, 6);
        const { checked, refused } = await burst(server, 'api', user.username, wrongPassword, 20);
        expect(checked).toHaveLength(20);
        expect(refused).toHaveLength(0);
        for (const entry of entries) expectLoggedIn(await attempt(server, entry, user.username, goodPassword), entry, user.id);
        // An unknown name is not locked either.
        await failTimes(server, 'api', 'nobody-at-all', 10);
        expect(await loginAttemptRows(server)).toEqual([]);
      } finally {
        await server.close();
      }
    });

    it('lockout.admins false exempts admins while plain users and unknown names are still locked', async () => {
      const server = await start(dialect, { lockout: { admins: false } });
      try {
        await failTimes(server, 'api', 'admin', 10);
        await failTimes(server, 'cookie', 'admin@localhost', 5);
        await failTimes(server, 'basic', 'admin', 5);
        const { checked, refused } = await burst(server, 'api', 'admin', wrongPassword, 20);
        expect(checked).toHaveLength(20);
        expect(refused).toHaveLength(0);
        const admin = await attempt(server, 'api', 'admin', adminPassword);
        expect(admin.status, admin.text).toBe(200);
        for (const entry of entries) expectLoggedIn(await attempt(server, entry, 'admin', adminPassword), entry, admin.body.userId);

        const user = await account(server, 'plain');
        await failTimes(server, 'api', user.username, 5);
        expectLocked(await attempt(server, 'api', user.username, goodPassword));

        // An account given the admin role later is exempt as well.
        const promoted = await account(server, 'promoted');
        const granted = await server.request('PUT', '/api/auth/admin/account', { token: admin.body.accessToken, json: { id: promoted.id, roles: ['admin'] } });
        expect(granted.status, granted.text).toBe(200);
        await failTimes(server, 'api', promoted.username, 8);
        expectLoggedIn(await attempt(server, 'api', promoted.email, goodPassword), 'api', promoted.id);
        await failTimes(server, 'api', 'ghost-admin', 5);
        expectLocked(await attempt(server, 'api', 'ghost-admin', wrongPassword));
      } finally {
        await server.close();
      }
    });
  });

  describe('password login control', () => {
    it('password.login off: 403 login-method-disabled everywhere, even with the right password, and nothing is counted', async () => {
      const first = await start(dialect, { password: { login: 'off' } });
      let second: TestServer | undefined;
      try {
        const user = await account(first, 'off');
        for (const entry of entries) {
          expectDisabled(await attempt(first, entry, user.username, goodPassword));
          expectDisabled(await attempt(first, entry, user.email, goodPassword));
          expectDisabled(await attempt(first, entry, 'admin', adminPassword));
        }
        for (let i = 0; i < 4; i += 1) {
          for (const entry of entries) expectDisabled(await attempt(first, entry, user.username, wrongPassword));
        }
        // Not counted: no attempt on record, and with password login back on the right password works at once.
        expect(await loginAttemptRows(first)).toEqual([]);
        await first.stop();
        second = await startServer(dialect, { database: first.database, smtp: first.smtp, clock: first.clock, config: serverConfig() });
        expectLoggedIn(await attempt(second, 'api', user.username, goodPassword), 'api', user.id);
      } finally {
        await second?.close();
        await first.close();
      }
    });

    it('password.login whitelist [alice]: alice may (by username and e-mail) at every entry point, bob gets 403', async () => {
      const server = await start(dialect, { password: { login: 'whitelist', whitelist: ['alice'] } });
      try {
        const alice = await server.request('POST', '/api/auth/register', { json: { username: 'alice', email: 'alice@example.com', password: goodPassword, confirmationKey } });
        const bob = await server.request('POST', '/api/auth/register', { json: { username: 'bob', email: 'bob@example.com', password: goodPassword, confirmationKey } });
        expect([alice.status, bob.status]).toEqual([201, 201]);
        for (const entry of entries) {
          expectLoggedIn(await attempt(server, entry, 'alice', goodPassword), entry, alice.body.id);
          expectLoggedIn(await attempt(server, entry, 'alice@example.com', goodPassword), entry, alice.body.id);
          expectDisabled(await attempt(server, entry, 'bob', goodPassword));
          expectDisabled(await attempt(server, entry, 'bob@example.com', goodPassword));
          expectDisabled(await attempt(server, entry, 'admin', adminPassword));
        }
        // alice's wrong passwords are still counted.
        await failTimes(server, 'api', 'alice', 5);
        expectLocked(await attempt(server, 'api', 'alice@example.com', goodPassword));
        // bob's refusals are not: none of his attempts is on record.
        for (let i = 0; i < 6; i += 1) expectDisabled(await attempt(server, 'api', 'bob', wrongPassword));
        const keys = (await loginAttemptRows(server)).map((row) => row.login_key);
        expect(keys).toEqual([`account:${alice.body.id}`]);
      } finally {
        await server.close();
      }
    });

    it('password.blacklist [admin]: admin gets 403 (by username and e-mail) while others log in; refusals are not counted', async () => {
      const server = await start(dialect, { password: { blacklist: ['admin'] } });
      try {
        const user = await account(server, 'listed');
        for (const entry of entries) {
          expectDisabled(await attempt(server, entry, 'admin', adminPassword));
          expectDisabled(await attempt(server, entry, 'admin@localhost', adminPassword));
          expectDisabled(await attempt(server, entry, 'ADMIN', wrongPassword));
          expectLoggedIn(await attempt(server, entry, user.username, goodPassword), entry, user.id);
        }
        for (let i = 0; i < 6; i += 1) expectDisabled(await attempt(server, 'api', 'admin', wrongPassword));
        const admin = await server.app.services.database.db.selectFrom('accounts').select('id').where('username', '=', 'admin').executeTakeFirstOrThrow();
        const keys = (await loginAttemptRows(server)).map((row) => row.login_key);
        expect(keys).not.toContain(`account:${admin.id}`);
        // No login.failed for the admin either: a disabled method is not a failed password.
        const failed = await server.app.services.database.db.selectFrom('audit_events').select('type').where('account_id', '=', admin.id).where('type', 'in', ['login.failed', 'login.locked']).execute();
        expect(failed).toEqual([]);
      } finally {
        await server.close();
      }
    });
  });
});

describe('lockout behind the bounded hashing queue', () => {
  it('counts only the checks the queue admits: the excess of a burst is 503 overloaded, before lockout, and exactly 5 are checked', async () => {
    // One slot (16 places) and the production cost: the burst arrives faster than the queue drains.
    const hash = { concurrency: 1, memoryCost: 19456, timeCost: 2 };
    const server = await startServer('sqlite', { config: serverConfig({ password: { hash } }), env: { GATEHOUSE_ADMIN_PASSWORD: adminPassword } });
    try {
      const user = await account(server, 'queued');
      const answers = await Promise.all(Array.from({ length: 50 }, () => attempt(server, 'basic', user.username, wrongPassword)));
      const overloaded = answers.filter((a) => a.status === 503);
      expect(overloaded.length).toBeGreaterThan(0);
      expect(answers.filter((a) => ![401, 429, 503].includes(a.status)).map((a) => `${a.status} ${a.text}`)).toEqual([]);
      for (const answer of overloaded) {
        expectProblem(answer, 503, 'overloaded');
        expect(answer.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
        expect(answer.headers.get('www-authenticate')).toBeNull();
      }
      answers.filter((a) => a.status === 401).forEach(expectInvalidCredentials);
      expect(answers.filter((a) => a.status === 401)).toHaveLength(5);
      for (const answer of answers.filter((a) => a.status === 429)) expectLocked(answer);
      const events = await server.app.services.database.db.selectFrom('audit_events').select('type').where('account_id', '=', user.id).execute();
      expect(events.filter((e) => e.type === 'login.failed')).toHaveLength(5);
    } finally {
      await server.close();
    }
  });
});
