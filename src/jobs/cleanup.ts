import { Cron } from 'croner';
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import type { DialectName } from '../db/database.js';
import type { DB } from '../db/types.js';

/** How many rows one clean-up removed, per kind (logged, and asserted by tests). */
export interface CleanupReport {
  unconfirmedAccounts: number;
  sessions: number;
  refreshTokens: number;
  oneTimeTokens: number;
  usedCredentials: number;
  opaqueTokens: number;
}

/** An arbitrary constant naming the clean-up's PostgreSQL advisory lock. */
const CLEANUP_LOCK_ID = 4_711_2002;

/**
 * Removes what has outlived its use: unconfirmed accounts older than `signup.unconfirmedRemoval` (seed 002),
 * ended sessions, expired refresh and one-time tokens. Revoked sessions are kept one access-token lifetime,
 * so a node that restarts still refuses the access tokens they issued.
 */
export async function runCleanup(db: Kysely<DB>, config: Config, now: number): Promise<CleanupReport> {
  const graceEnd = now - config.tokens.accessTokenTtl;
  const accounts = await db
    .deleteFrom('accounts')
    .where('type', '=', 'user')
    .where('confirmed', '=', 0)
    .where('created_at', '<', now - config.signup.unconfirmedRemoval)
    .executeTakeFirst();
  const sessions = await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<', graceEnd), eb('revoked_at', '<', graceEnd)]))
    .executeTakeFirst();
  const refreshTokens = await db
    .deleteFrom('refresh_tokens')
    .where((eb) => eb.or([eb('expires_at', '<', now), eb('rotated_at', '<', now - config.tokens.refreshReuseInterval - 86_400_000)]))
    .executeTakeFirst();
  const oneTimeTokens = await db
    .deleteFrom('one_time_tokens')
    .where((eb) => eb.or([eb('expires_at', '<', now), eb('used_at', 'is not', null)]))
    .executeTakeFirst();
  const usedCredentials = await db.deleteFrom('used_credentials').where('expires_at', '<', now).executeTakeFirst();
  const opaqueTokens = await db.deleteFrom('opaque_tokens').where('expires_at', '<', now).executeTakeFirst();
  return {
    usedCredentials: Number(usedCredentials.numDeletedRows),
    opaqueTokens: Number(opaqueTokens.numDeletedRows),
    unconfirmedAccounts: Number(accounts.numDeletedRows),
    sessions: Number(sessions.numDeletedRows),
    refreshTokens: Number(refreshTokens.numDeletedRows),
    oneTimeTokens: Number(oneTimeTokens.numDeletedRows),
  };
}

/**
 * Runs the clean-up once per cluster: on PostgreSQL inside a transaction holding an advisory lock that only one
 * node can take; SQLite is single-node by nature. Returns null when another node holds the lock.
 */
export async function runCleanupOnce(db: Kysely<DB>, dialect: DialectName, config: Config, now: number): Promise<CleanupReport | null> {
  if (dialect === 'sqlite') return runCleanup(db, config, now);
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${CLEANUP_LOCK_ID}) as locked`.execute(trx);
    return rows[0]?.locked ? runCleanup(trx, config, now) : null;
  });
}

/** Schedules the clean-up on `schedule.cron`; `stop()` cancels it (called when the app closes). */
export function scheduleCleanup(
  options: { db: Kysely<DB>; dialect: DialectName; config: Config; clock: Clock },
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void },
): { stop(): void } {
  const job = new Cron(options.config.schedule.cron, { protect: true }, async () => {
    try {
      const report = await runCleanupOnce(options.db, options.dialect, options.config, options.clock.now());
      if (report) log.info({ report }, 'scheduled clean-up done');
    } catch (error) {
      log.error({ err: error }, 'scheduled clean-up failed');
    }
  });
  return { stop: () => job.stop() };
}
