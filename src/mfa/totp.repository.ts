import type { Kysely, Transaction } from 'kysely';
import { isUniqueViolation } from '../db/errors.js';
import { PreparedStatement } from '../db/prepared.js';
import type { DB } from '../db/types.js';

type Db = Kysely<DB> | Transaction<DB>;

/**
 * Which factors the account has — an active TOTP secret, an enabled passkey, a disabled one — in one prepared
 * statement. Why: every password sign-in asks (the pipeline's second-factor step), and nearly every account has none.
 */
export async function factorsOf(db: Db, accountId: string): Promise<{ totp: boolean; passkey: boolean; disabledPasskey: boolean }> {
  const row = await factorFlags.first(db, accountId);
  return { totp: Boolean(row?.totp), passkey: Boolean(row?.passkey), disabledPasskey: Boolean(row?.disabled_passkey) };
}

const factorFlags = new PreparedStatement(1, (db, accountId: string) => db.selectNoFrom((eb) => [
  eb.exists(eb.selectFrom('mfa_totp').select('account_id').where('account_id', '=', accountId).where('confirmed_at', 'is not', null)).as('totp'),
  eb.exists(eb.selectFrom('passkeys').select('id').where('account_id', '=', accountId).where('disabled_at', 'is', null)).as('passkey'),
  eb.exists(eb.selectFrom('passkeys').select('id').where('account_id', '=', accountId).where('disabled_at', 'is not', null)).as('disabled_passkey'),
]));

/** The account's TOTP row, confirmed or not. */
export const findTotp = (db: Db, accountId: string) =>
  db.selectFrom('mfa_totp').selectAll().where('account_id', '=', accountId).executeTakeFirst();

/** Stores a new, not yet confirmed secret, replacing an earlier unconfirmed one; never a confirmed one. */
export async function saveUnconfirmedTotp(db: Db, accountId: string, secretBox: string, now: number): Promise<boolean> {
  await db.deleteFrom('mfa_totp').where('account_id', '=', accountId).where('confirmed_at', 'is', null).execute();
  try {
    await db.insertInto('mfa_totp').values({ account_id: accountId, secret_box: secretBox, confirmed_at: null, last_step: null, created_at: now }).execute();
    return true;
  } catch (error) {
    // A confirmed secret is never replaced here: it has to be removed first (with step-up).
    if (isUniqueViolation(error)) return false;
    throw error;
  }
}

/**
 * Takes time step `step` of the account's TOTP: succeeds for exactly one caller, on any node, and only for a step
 * newer than the last one taken (RFC 6238 §5.2: a code is accepted once). `confirming` takes it on the unconfirmed
 * secret and activates it; otherwise only an active secret counts.
 */
export async function takeTotpStep(db: Db, accountId: string, step: number, now: number, confirming: boolean): Promise<boolean> {
  const result = await db.updateTable('mfa_totp')
    .set(confirming ? { last_step: step, confirmed_at: now } : { last_step: step })
    .where('account_id', '=', accountId)
    .where('confirmed_at', confirming ? 'is' : 'is not', null)
    .where((eb) => eb.or([eb('last_step', 'is', null), eb('last_step', '<', step)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Removes the account's TOTP secret; true when there was one. */
export async function deleteTotp(db: Db, accountId: string): Promise<boolean> {
  const result = await db.deleteFrom('mfa_totp').where('account_id', '=', accountId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Replaces the account's recovery codes by `hashes` (call inside a transaction). */
export async function replaceRecoveryCodes(db: Db, accountId: string, hashes: string[], now: number): Promise<void> {
  await db.deleteFrom('mfa_recovery_codes').where('account_id', '=', accountId).execute();
  await db.insertInto('mfa_recovery_codes').values(hashes.map((code_hash) => ({ code_hash, account_id: accountId, used_at: null, created_at: now }))).execute();
}

/** Removes all of the account's recovery codes (its last factor was removed). */
export async function deleteRecoveryCodes(db: Db, accountId: string): Promise<void> {
  await db.deleteFrom('mfa_recovery_codes').where('account_id', '=', accountId).execute();
}

/** Spends one unused code of the account: true for exactly one caller, on any node. */
export async function spendRecoveryCode(db: Db, accountId: string, hash: string, now: number): Promise<boolean> {
  const result = await db.updateTable('mfa_recovery_codes').set({ used_at: now })
    .where('code_hash', '=', hash).where('account_id', '=', accountId).where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** How many of the account's recovery codes are still unused. */
export async function recoveryCodesLeft(db: Db, accountId: string): Promise<number> {
  const row = await db.selectFrom('mfa_recovery_codes').select((eb) => eb.fn.countAll<number | string>().as('left'))
    .where('account_id', '=', accountId).where('used_at', 'is', null).executeTakeFirst();
  return Number(row?.left ?? 0);
}
