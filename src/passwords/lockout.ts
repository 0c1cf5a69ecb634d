import { sql, type Kysely } from 'kysely';
import type { Clock } from '../clock.js';
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
 * An attempt is counted *before* its password is checked, by one atomic upsert: with `maxAttempts` 5 and 50
 * simultaneous wrong passwords, exactly 5 are checked and 45 are refused, on one node or many. A success resets
 * the count; the `maxAttempts`-th failure locks for `duration`. A count older than `duration` starts afresh.
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

  /** Counts an attempt; throws `account-locked` (with Retry-After) when it may not be checked at all. */
  async reserve(key: string): Promise<void> {
    const now = this.clock.now();
    const staleBefore = now - this.options.duration;
    const row = await this.db
      .insertInto('login_attempts')
      .values({ login_key: key, failures: 1, locked_until: null, updated_at: now })
      .onConflict((oc) =>
        oc.column('login_key').doUpdateSet({
          // A finished lock or an old streak of failures starts a new count.
          failures: sql<number>`case when (login_attempts.locked_until is not null and login_attempts.locked_until <= ${now})
            or (login_attempts.locked_until is null and login_attempts.updated_at < ${staleBefore})
            then 1 else login_attempts.failures + 1 end`,
          locked_until: sql<number | null>`case when login_attempts.locked_until <= ${now} then null else login_attempts.locked_until end`,
          updated_at: now,
        }),
      )
      .returning(['failures', 'locked_until'])
      .executeTakeFirstOrThrow();
    if (row.locked_until !== null && row.locked_until > now) throw locked(row.locked_until - now);
    // Over the limit while the last allowed attempt is still being checked: refuse for a full duration.
    if (row.failures > this.options.maxAttempts) throw locked(this.options.duration);
  }

  /** A wrong password: the attempt that reaches `maxAttempts` starts the lock. Returns whether it locked. */
  async fail(key: string): Promise<boolean> {
    const now = this.clock.now();
    const result = await this.db
      .updateTable('login_attempts')
      .set({ locked_until: now + this.options.duration, updated_at: now })
      .where('login_key', '=', key)
      .where('failures', '>=', this.options.maxAttempts)
      .where('locked_until', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** A right password: the count starts again. */
  async succeed(key: string): Promise<void> {
    await this.db.deleteFrom('login_attempts').where('login_key', '=', key).execute();
  }
}

function locked(retryAfterMs: number): AppError {
  return new AppError('account-locked', 'too many failed logins; try again later', { retryAfterSeconds: retryAfterMs / 1000 });
}
