import type { Kysely } from 'kysely';

/**
 * One row that `/readyz` rewrites to prove the database still takes writes (a full disk answers reads but not
 * writes). Always one row: the probe updates it in place, so the table never grows. Frozen.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('readiness_probe')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('probed_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('readiness_probe').ifExists().execute();
}
