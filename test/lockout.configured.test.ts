import { describe, expect, it } from 'vitest';
import { dialects, goodPassword, startServer, type TestServer } from './helpers/server.js';
import {
  account, adminPassword, attempt, burst, entries, expectInvalidCredentials, expectLocked, expectLoggedIn,
  expectProblem, failTimes, loginAttemptRows, minute, second, serverConfig, start, wrongPassword,
} from './helpers/lockout.js';

/*
 * Temporary lockout as configured (seed 004 "Temporary lockout of user"; CONTRACT §2 `lockout.*`, §4): other
 * limits and durations, no lockout, admins exempt, two nodes sharing one database, and the bounded hashing queue.
 * Everything goes over the real socket, through every password entry point: `POST /api/auth/login`,
 * `POST /auth/cookie` and HTTP Basic (`GET /auth/user` with `Authorization: Basic`).
 */

describe.each(dialects)('lockout and password-login control on %s', (dialect) => {
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
