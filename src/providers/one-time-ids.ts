import type { Kysely } from 'kysely';
import type { DB } from '../db/types.js';

/**
 * Identity-provider credentials that may be accepted once only (SAML assertion ids, CAS tickets), recorded in the
 * shared database by one conflict-free insert: exactly one claim wins, on one node or many, and across restarts.
 * Rows are kept until the credential could no longer be valid anyway; the scheduled clean-up removes them.
 */
export class OneTimeIds {
  constructor(private readonly db: Kysely<DB>) {}

  /** True for the first claim of `key`; false for every later one. */
  async claim(key: string, expiresAt: number): Promise<boolean> {
    const result = await this.db
      .insertInto('used_credentials')
      .values({ key: key.slice(0, 512), expires_at: expiresAt })
      .onConflict((oc) => oc.column('key').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }
}
