import type { Kysely } from 'kysely';

/**
 * `GET /accounts` pages in (created_at, id) order: this index serves that order directly, so a page costs the rows
 * it shows rather than a sort of the whole table, and deep pages skip index entries only. Frozen.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('accounts_listing_idx').on('accounts').columns(['created_at', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('accounts_listing_idx').ifExists().execute();
}
