import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCleanupOnce } from '../src/jobs/cleanup.js';
import { expectProblem } from './helpers/problems.js';
import { dialects, goodPassword, registerAndLogin, startServer, type TestServer } from './helpers/server.js';

const day = 86_400_000;

describe.each(dialects)('scheduled clean-up on %s', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect);
  });
  afterAll(async () => server?.close());

  /** One scheduled run: a second later than the last, as the cron would fire it. */
  const cleanup = () => {
    server.clock.advance(1000);
    const { database, config } = server.app.services;
    return runCleanupOnce(database.db, config, server.clock.now());
  };

  it('removes unconfirmed accounts after signup.unconfirmedRemoval and keeps confirmed ones', async () => {
    await registerAndLogin(server, 'kept@example.com');
    await server.request('POST', '/api/auth/register', { json: { email: 'stale@example.com', password: goodPassword } });
    server.clock.advance(6 * day);
    expect((await cleanup())?.unconfirmedAccounts).toBe(0);
    server.clock.advance(1 * day + 1);
    expect((await cleanup())?.unconfirmedAccounts).toBe(1);
    expect((await server.request('GET', '/api/auth/account/confirmed?email=stale@example.com')).body.confirmed).toBe(false);
    const left = await server.app.services.database.db.selectFrom('accounts').select('email').where('email', 'in', ['kept@example.com', 'stale@example.com']).execute();
    expect(left.map((a) => a.email)).toEqual(['kept@example.com']);
  });

  it('purges ended sessions with their refresh tokens, but keeps revoked ones one access-token lifetime', async () => {
    const live = await registerAndLogin(server, 'purge@example.com');
    await server.request('POST', '/api/auth/logout', { token: live.accessToken });
    const db = server.app.services.database.db;
    const before = await db.selectFrom('sessions').select('id').execute();
    expect((await cleanup())?.sessions).toBe(0);
    server.clock.advance(60 * 60_000 + 1);
    const report = await cleanup();
    expect(report?.sessions).toBeGreaterThanOrEqual(1);
    const after = await db.selectFrom('sessions').select('id').execute();
    expect(after.length).toBeLessThan(before.length);
    // Nothing of the purged session works any more.
    expect((await server.request('GET', '/api/auth/account', { token: live.accessToken })).status).toBe(401);
  });

  it('removes guests idle longer than tokens.guestIdleRemoval (90 days) with their sessions; active guests and people stay', async () => {
    const db = server.app.services.database.db;
    const idle = (await server.request('POST', '/api/auth/guest')).body;
    const active = (await server.request('POST', '/api/auth/guest')).body;
    const person = await registerAndLogin(server, 'dormant@example.com');
    server.clock.advance(81 * day);
    // Used 10 days before the clean-up: a refresh records it on the session.
    const refreshed = await server.request('POST', '/api/auth/refresh', { json: { refreshToken: active.refreshToken } });
    expect(refreshed.status, refreshed.text).toBe(200);
    server.clock.advance(10 * day);

    expect((await cleanup())?.idleGuests).toBe(1);
    const left = await db.selectFrom('accounts').select('id').where('id', 'in', [idle.userId, active.userId, person.userId]).execute();
    expect(left.map((a) => a.id).sort()).toEqual([active.userId, person.userId].sort());
    expect(await db.selectFrom('sessions').select('id').where('account_id', '=', idle.userId).execute()).toEqual([]);
    // Its refresh token went with it: unknown now.
    expectProblem(await server.request('POST', '/api/auth/refresh', { json: { refreshToken: idle.refreshToken } }), 401, 'invalid-token');
    expect((await server.request('POST', '/api/auth/refresh', { json: { refreshToken: refreshed.body.refreshToken } })).status).toBe(200);
    // The rule is for guests only: a person's account idle for years stays.
    server.clock.advance(400 * day);
    await cleanup();
    expect(await db.selectFrom('accounts').select('id').where('id', '=', person.userId).execute()).toHaveLength(1);
  });

  it('keeps guests for ever with tokens.guestIdleRemoval: never', async () => {
    const keeper = await startServer(dialect, { config: { tokens: { guestIdleRemoval: 'never' } } });
    try {
      const guest = (await keeper.request('POST', '/api/auth/guest')).body;
      keeper.clock.advance(1000 * day);
      const { database, config } = keeper.app.services;
      expect((await runCleanupOnce(database.db, config, keeper.clock.now()))?.idleGuests).toBe(0);
      expect(await database.db.selectFrom('accounts').select('id').where('id', '=', guest.userId).execute()).toHaveLength(1);
    } finally {
      await keeper.close();
    }
  });

  it('removes WebAuthn challenges past mfa.challengeTtl, which only a new challenge swept before; live ones stay', async () => {
    const db = server.app.services.database.db;
    const { accessToken } = await registerAndLogin(server, 'challenges@example.com');
    const stale = await server.request('POST', '/api/auth/passkey/options');
    const register = await server.request('POST', '/api/auth/passkeys/options', { token: accessToken });
    expect([stale.status, register.status]).toEqual([200, 200]);
    server.clock.advance(server.config.mfa.challengeTtl);
    // Issued after the others expired, by a direct insert: issuing through the API would sweep them itself.
    const now = server.clock.now();
    await db.insertInto('webauthn_challenges').values({ challenge: 'live-challenge', purpose: 'login', account_id: null, expires_at: now + 60_000, created_at: now }).execute();
    const report = await cleanup();
    expect(report?.webauthnChallenges).toBe(2);
    const left = await db.selectFrom('webauthn_challenges').select('challenge').execute();
    expect(left.map((row) => row.challenge)).toEqual(['live-challenge']);
    expect((await cleanup())?.webauthnChallenges).toBe(0);
  });

  it('runs each scheduled slot once: a second node firing for the same slot, even after the first finished, skips it', async () => {
    const { database, config } = server.app.services;
    const slot = Math.ceil((server.clock.now() + 60_000) / 1000) * 1000;
    expect(await runCleanupOnce(database.db, config, slot)).not.toBeNull();
    expect(await runCleanupOnce(database.db, config, slot + 999)).toBeNull();
    const concurrent = await Promise.all([1, 2, 3].map(() => runCleanupOnce(database.db, config, slot + 1000)));
    expect(concurrent.filter((report) => report !== null)).toHaveLength(1);
    const claims = await database.db.selectFrom('job_runs').select('slot').where('slot', '>=', slot).execute();
    expect(claims).toHaveLength(2);
  });

  it('forgets its claims after a week', async () => {
    const { database } = server.app.services;
    const before = await database.db.selectFrom('job_runs').select('slot').execute();
    expect(before.length).toBeGreaterThan(0);
    server.clock.advance(8 * day);
    await cleanup();
    const after = await database.db.selectFrom('job_runs').select('slot').execute();
    expect(after).toHaveLength(1);
  });
});
