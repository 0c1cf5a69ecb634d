import type { Kysely } from 'kysely';

/**
 * A client's display name (issue 16: the hosted login says "Sign in to Demo App"). Optional: clients registered
 * before, and those that give none, keep `null` and the pages name no application. Frozen.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clients').addColumn('name', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clients').dropColumn('name').execute();
}
