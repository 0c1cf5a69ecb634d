import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * The admin console searches accounts by the start of an e-mail or user name (`email_key LIKE 'ann%'`). PostgreSQL
 * answers a prefix LIKE from a B-tree only in the "C" collation or with `text_pattern_ops`; under any other collation
 * (C.UTF-8 and en_US.UTF-8 included) the unique indexes cannot serve it and a search of a million accounts read them
 * all (1–3 s measured). These indexes serve it under every collation. SQLite needs none: its search is a GLOB, which
 * the unique (BINARY) indexes answer. Frozen.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`create index accounts_email_search_idx on accounts (email_key text_pattern_ops)`.execute(db);
  await sql`create index accounts_username_search_idx on accounts (username_key text_pattern_ops)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('accounts_email_search_idx').ifExists().execute();
  await db.schema.dropIndex('accounts_username_search_idx').ifExists().execute();
}
