import { sql, type Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import { PreparedStatement } from '../db/prepared.js';
import type { DB } from '../db/types.js';
import { AppError } from '../http/errors.js';

/** Lockout settings (CONTRACT §2 `lockout.*`). */
export interface LockoutOptions {
  maxAttempts: number;
  duration: number;
}

/**
 * Temporary lockout after too many wrong passwords (seed 004), exact under concurrency and across nodes.
 *
 * Only wrong passwords count, each by one atomic upsert that returns the new count: the attempt that reaches
 * `maxAttempts` starts the lock, and any wrong attempt counted beyond it is answered as locked. So 50 simultaneous
 * wrong passwords get exactly `maxAttempts` × 401 and the rest 429, on one node or many, while simultaneous right
 * passwords never lock anyone. (Those beyond the bounded hashing queue are answered 503 `overloaded` before they
 * are checked, and are not counted: src/passwords/hasher.ts.) A lock, or a streak older than `duration`, that has run out starts a new count.
 */
export class Lockout {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: Clock,
    private readonly options: LockoutOptions,
  ) {}

  get enabled(): boolean {
    return this.options.maxAttempts !== -1;
  }

  /** Refuses at once while a lock runs, so a locked name costs no password hashing. */
  async assertNotLocked(key: string): Promise<void> {
    const row = await lockOf.first(this.db, key);
    const now = this.clock.now();
    if (row?.locked_until != null && row.locked_until > now) throw locked(row.locked_until - now);
  }

  /**
   * Counts a wrong password. Returns `'counted'` (answer it as wrong credentials), `'locked-now'` (this one
   * reached the limit: answer it as wrong credentials, the lock has begun) or throws `account-locked`.
   */
  async fail(key: string): Promise<'counted' | 'locked-now'> {
    const now = this.clock.now();
    const { maxAttempts, duration } = this.options;
    const lockEnd = now + duration;
    const restart = sql<boolean>`((login_attempts.locked_until is not null and login_attempts.locked_until <= ${now})
      or (login_attempts.locked_until is null and login_attempts.updated_at < ${now - duration}))`;
    const row = await this.db
      .insertInto('login_attempts')
      .values({ login_key: key, failures: 1, locked_until: maxAttempts <= 1 ? lockEnd : null, updated_at: now })
      .onConflict((oc) =>
        oc.column('login_key').doUpdateSet({
          failures: sql<number>`case when ${restart} then 1 else login_attempts.failures + 1 end`,
          locked_until: sql<number | null>`case
            when ${restart} then ${maxAttempts <= 1 ? lockEnd : null}
            when login_attempts.locked_until is not null then login_attempts.locked_until
            when login_attempts.failures + 1 >= ${maxAttempts} then ${lockEnd}
            else null end`,
          updated_at: now,
        }),
      )
      .returning(['failures', 'locked_until'])
      .executeTakeFirstOrThrow();
    if (row.failures > maxAttempts) throw locked((row.locked_until ?? lockEnd) - now);
    return row.failures === maxAttempts ? 'locked-now' : 'counted';
  }

  /**
   * A right password: the count starts again — unless a lock began while the password was being checked, which
   * refuses it too. One read on the usual path (no failures on record); the delete keeps a lock that begins later.
   */
  async succeed(key: string): Promise<void> {
    const row = await lockOf.first(this.db, key);
    if (!row) return;
    const now = this.clock.now();
    if (row.locked_until != null && row.locked_until > now) throw locked(row.locked_until - now);
    await this.db
      .deleteFrom('login_attempts')
      .where('login_key', '=', key)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
      .execute();
  }
}

const lockOf = new PreparedStatement(1, (db, key: string) => db.selectFrom('login_attempts').select('locked_until').where('login_key', '=', key));

function locked(retryAfterMs: number): AppError {
  return new AppError('account-locked', 'too many failed logins; try again later', { retryAfterSeconds: retryAfterMs / 1000 });
}
