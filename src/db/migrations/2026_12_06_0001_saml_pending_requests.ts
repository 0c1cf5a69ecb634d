import type { Kysely } from 'kysely';

/**
 * SAML AuthnRequests waiting for their Response (CONTRACT §5): the Response comes back by a cross-site POST that
 * carries no Lax or Strict cookie, so the request is kept here, shared by the cluster, keyed by the SHA-256 of its
 * RelayState, with the SHA-256 of the browser-binding nonce of the browser that started it. A validated Response
 * becomes a completion, keyed by the SHA-256 of a one-time code, which only that browser can redeem (login CSRF).
 * Frozen.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('saml_requests')
    .addColumn('relay_hash', 'text', (c) => c.primaryKey())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text')
    .addColumn('target', 'text')
    .addColumn('binding_hash', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('saml_requests_expires_idx').on('saml_requests').column('expires_at').execute();
  await db.schema
    .createTable('saml_completions')
    .addColumn('code_hash', 'text', (c) => c.primaryKey())
    .addColumn('binding_hash', 'text', (c) => c.notNull())
    .addColumn('identity', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text')
    .addColumn('target', 'text')
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('saml_completions_expires_idx').on('saml_completions').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('saml_completions').ifExists().execute();
  await db.schema.dropTable('saml_requests').ifExists().execute();
}
