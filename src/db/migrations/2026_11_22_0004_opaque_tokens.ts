import type { Kysely } from 'kysely';

/** Opaque access references (`tokens.clientFormat: opaque`, the split token): only a SHA-256 of each is stored. Frozen. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('opaque_tokens')
    .addColumn('hash', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('opaque_tokens_expires_idx').on('opaque_tokens').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('opaque_tokens').ifExists().execute();
}
