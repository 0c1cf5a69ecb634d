import type { Kysely } from 'kysely';

/**
 * Gatehouse as an OpenID provider (issue 18, CONTRACT §5 "OpenID Connect provider").
 * - `clients.oidc`: the client's OIDC fields as JSON (redirect URIs, grant types, auth method, scopes, …); null for a
 *   client that only uses seed 000's token delivery. `clients.secret_hash`: SHA-256 of the generated client secret
 *   (shown once), `secret_created_at` when it was made (rotation replaces both).
 * - `oidc_records`: what node-oidc-provider stores through its adapter (grants, codes, tokens, sessions,
 *   interactions), one row per model instance, so every node sees the same state and a restart keeps it.
 *   `grant_id`, `uid` and `user_code` are the adapter's lookup keys; `session_id` binds a record to the Gatehouse
 *   session it was made in, so ending that session ends it too (on every node: the check is in the query).
 * - `saml_requests.interaction`, `saml_completions.interaction`: the OpenID interaction a SAML login started from the
 *   hosted login runs for (null otherwise), kept beside its client until the login completes and goes back to it.
 * Frozen.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clients').addColumn('oidc', 'text').execute();
  await db.schema.alterTable('clients').addColumn('secret_hash', 'text').execute();
  await db.schema.alterTable('clients').addColumn('secret_created_at', 'bigint').execute();
  await db.schema
    .createTable('oidc_records')
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('grant_id', 'text')
    .addColumn('uid', 'text')
    .addColumn('user_code', 'text')
    .addColumn('session_id', 'text')
    .addColumn('expires_at', 'bigint')
    .addPrimaryKeyConstraint('oidc_records_pk', ['model', 'id'])
    .execute();
  await db.schema.createIndex('oidc_records_grant_idx').on('oidc_records').column('grant_id').execute();
  await db.schema.createIndex('oidc_records_uid_idx').on('oidc_records').columns(['model', 'uid']).execute();
  await db.schema.createIndex('oidc_records_session_idx').on('oidc_records').column('session_id').execute();
  await db.schema.createIndex('oidc_records_expiry_idx').on('oidc_records').column('expires_at').execute();
  await db.schema.alterTable('saml_requests').addColumn('interaction', 'text').execute();
  await db.schema.alterTable('saml_completions').addColumn('interaction', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('saml_completions').dropColumn('interaction').execute();
  await db.schema.alterTable('saml_requests').dropColumn('interaction').execute();
  await db.schema.dropTable('oidc_records').ifExists().execute();
  await db.schema.alterTable('clients').dropColumn('secret_created_at').execute();
  await db.schema.alterTable('clients').dropColumn('secret_hash').execute();
  await db.schema.alterTable('clients').dropColumn('oidc').execute();
}
