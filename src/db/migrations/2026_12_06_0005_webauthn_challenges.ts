import type { Kysely } from 'kysely';

/**
 * WebAuthn challenges (CONTRACT §5 "Passkeys"): each ceremony's random challenge, stored so that any node can check
 * the answer, taken by a conditional DELETE so exactly one request uses it, and refused after `mfa.challengeTtl`.
 * `purpose` keeps a registration's challenge from answering a login; `account_id` binds registration and second-step
 * challenges to their account (null for a passwordless login, which does not know the account yet). Frozen.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('webauthn_challenges')
    .addColumn('challenge', 'text', (c) => c.primaryKey())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.references('accounts.id').onDelete('cascade'))
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webauthn_challenges_expiry_idx').on('webauthn_challenges').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('webauthn_challenges').ifExists().execute();
}
