import { describe, expect, it } from 'vitest';
import { dialects, goodPassword, startServer, type TestServer } from './helpers/server.js';
import {
  account, adminPassword, attempt, confirmationKey, entries, expectDisabled, expectLocked, expectLoggedIn, failTimes,
  loginAttemptRows, serverConfig, start, wrongPassword,
} from './helpers/lockout.js';

/*
 * Password-login control (seed 004 "Password authentication control"; CONTRACT §2 `password.login/whitelist/
 * blacklist`, `httpBasic.enabled`; §4): a refused method answers 403 and is never counted by the lockout.
 * Everything goes over the real socket, through every password entry point: `POST /api/auth/login`,
 * `POST /auth/cookie` and HTTP Basic (`GET /auth/user` with `Authorization: Basic`).
 */

describe.each(dialects)('lockout and password-login control on %s', (dialect) => {
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
