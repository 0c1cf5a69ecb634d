import type { Kysely } from 'kysely';

/** One-time credentials from identity providers already accepted (SAML assertion ids, CAS tickets). Frozen. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('used_credentials')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('used_credentials_expires_idx').on('used_credentials').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('used_credentials').ifExists().execute();
}
