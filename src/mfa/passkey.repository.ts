import type { Kysely, Selectable, Transaction } from 'kysely';
import type { DB, PasskeyTable } from '../db/types.js';

type Db = Kysely<DB> | Transaction<DB>;

/** A stored passkey (WebAuthn credential). */
export type PasskeyRow = Selectable<PasskeyTable>;

/** Stores a newly registered credential. */
export async function insertPasskey(db: Db, row: PasskeyRow): Promise<void> {
  await db.insertInto('passkeys').values(row).execute();
}

/** The account's passkeys, oldest first. */
export const passkeysOf = (db: Db, accountId: string) =>
  db.selectFrom('passkeys').selectAll().where('account_id', '=', accountId).orderBy('created_at').orderBy('id').execute();

/** The passkey of a credential ID (unique across accounts), or undefined. */
export const findPasskeyByCredentialId = (db: Db, credentialId: string) =>
  db.selectFrom('passkeys').selectAll().where('credential_id', '=', credentialId).executeTakeFirst();

/** How many passkeys of the account can still sign in (not disabled). */
export async function enabledPasskeyCount(db: Db, accountId: string): Promise<number> {
  const row = await db.selectFrom('passkeys').select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('account_id', '=', accountId).where('disabled_at', 'is', null).executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Renames one of the account's passkeys; false when the account has no passkey of that id. */
export async function renamePasskey(db: Db, accountId: string, id: string, name: string): Promise<boolean> {
  const result = await db.updateTable('passkeys').set({ name }).where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Removes one of the account's passkeys; false when the account has no passkey of that id. */
export async function deletePasskey(db: Db, accountId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('passkeys').where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** Marks a credential disabled (its signature counter went backwards: a cloned authenticator); true the first time. */
export async function disablePasskey(db: Db, id: string, now: number): Promise<boolean> {
  const result = await db.updateTable('passkeys').set({ disabled_at: now }).where('id', '=', id).where('disabled_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Records a verified use: the new counter and the time. Conditional on the counter still being below the new one (or
 * both 0, for authenticators that keep none), so of two assertions racing only one can move it past a given value.
 */
export async function recordPasskeyUse(db: Db, id: string, newCount: number, now: number): Promise<boolean> {
  const result = await db.updateTable('passkeys').set({ sign_count: newCount, last_used_at: now })
    .where('id', '=', id).where('disabled_at', 'is', null)
    .where((eb) => (newCount === 0 ? eb('sign_count', '=', 0) : eb('sign_count', '<', newCount)))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
