import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, goodPassword, type Answer, type TestServer } from './helpers/server.js';
import {
  account as registerAccount, adminPassword, attempt, burst, entries, expectInvalidCredentials, expectLocked,
  expectLoggedIn, failTimes, minute, start, wrongPassword,
} from './helpers/lockout.js';

/*
 * Temporary lockout with its default settings: maxAttempts 5, duration 5m, admins locked (seed 004 "Temporary
 * lockout of user"; CONTRACT §2 `lockout.*`, §4), exact under concurrency.
 * Everything goes over the real socket, through every password entry point: `POST /api/auth/login`,
 * `POST /auth/cookie` and HTTP Basic (`GET /auth/user` with `Authorization: Basic`).
 */

/** This suite numbers its own accounts, so that a test can name a login no account has (`ghost${counter}`). */
let counter = 0;
/** A fresh confirmed account named from this suite's {@link counter}. */
function account(server: TestServer, prefix = 'user'): ReturnType<typeof registerAccount> {
  counter += 1;
  return registerAccount(server, prefix, counter);
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
});
