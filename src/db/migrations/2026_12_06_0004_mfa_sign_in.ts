import type { Kysely } from 'kysely';

/**
 * The second step of a sign-in (CONTRACT §5): a password login of an account with a second factor stops before any
 * session and leaves a pending sign-in, found again by the SHA-256 of its single-use `mfaToken`, holding how the
 * login is to be finished (its plan, as JSON). Sessions record how they were authenticated (`amr`, RFC 8176, space
 * separated), which access tokens and `/api/auth/context` carry. Frozen.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('mfa_pending_sign_ins')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('continuation', 'text', (c) => c.notNull())
    .addColumn('first_factor', 'text', (c) => c.notNull())
    .addColumn('enroll', 'integer', (c) => c.notNull())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('mfa_pending_sign_ins_expiry_idx').on('mfa_pending_sign_ins').column('expires_at').execute();
  await db.schema.alterTable('sessions').addColumn('amr', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sessions').dropColumn('amr').execute();
  await db.schema.dropTable('mfa_pending_sign_ins').ifExists().execute();
}
