import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { DB } from './types.js';

/** How long one probe's answer stands; why: `/readyz` is unauthenticated, so a flood of it must not be a flood of writes. */
export const WRITE_PROBE_INTERVAL_MS = 1000;

/**
 * Proves the database takes a write: upserts the single row of `readiness_probe` and commits. Why a committed
 * write: a full disk (or a read-only replica, a read-only file) still answers `select 1`; a rolled-back write would
 * not reach the disk on SQLite. The row is rewritten in place, so the database does not grow.
 * At most one write per interval per node; callers in between share the last answer.
 */
export class WriteProbe {
  private last: { at: number; result: Promise<void> } | null = null;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: Clock,
  ) {}

  /** Resolves when the database took the write; rejects with the database's error when it did not. */
  check(): Promise<void> {
    const now = this.clock.now();
    if (this.last && now - this.last.at < WRITE_PROBE_INTERVAL_MS) return this.last.result;
    const result = this.write(now);
    // The shared answer must not count as unhandled while nobody awaits it.
    result.catch(() => undefined);
    this.last = { at: now, result };
    return result;
  }

  private async write(now: number): Promise<void> {
    await this.db
      .insertInto('readiness_probe')
      .values({ id: 1, probed_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet({ probed_at: now }))
      .execute();
  }
}
