import type { Kysely, Transaction } from 'kysely';
import type { DB, InviteTable } from '../db/types.js';
import type { Selectable } from 'kysely';

type Db = Kysely<DB> | Transaction<DB>;

/** A stored invite: only the hash of its code is kept (DESIGN "Secrets at rest"). */
export type InviteRow = Selectable<InviteTable>;

/** Stores new invites in one statement. */
export async function insertInvites(db: Db, rows: InviteRow[]): Promise<void> {
  await db.insertInto('invites').values(rows).execute();
}

/** A page of unused invites, newest first, and how many there are in all. */
export async function listUnusedInvites(db: Db, offset: number, limit: number): Promise<{ rows: InviteRow[]; total: number }> {
  const [rows, count] = await Promise.all([
    db.selectFrom('invites').selectAll().where('used_at', 'is', null).orderBy('created_at', 'desc').orderBy('id').offset(offset).limit(limit).execute(),
    db.selectFrom('invites').select((eb) => eb.fn.countAll().as('total')).where('used_at', 'is', null).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.total) };
}

/** The unused invite with this code hash, if any. */
export async function findUnusedInvite(db: Db, codeHash: string): Promise<InviteRow | undefined> {
  return db.selectFrom('invites').selectAll().where('code_hash', '=', codeHash).where('used_at', 'is', null).executeTakeFirst();
}

/**
 * Marks an invite used by one conditional UPDATE (`used_at IS NULL`), so of any number of concurrent claims exactly
 * one wins; returns the invite's id, or null when the code is unknown or already used.
 */
export async function claimInvite(db: Db, codeHash: string, now: number): Promise<string | null> {
  const row = await db
    .updateTable('invites')
    .set({ used_at: now })
    .where('code_hash', '=', codeHash)
    .where('used_at', 'is', null)
    .returning('id')
    .executeTakeFirst();
  return row?.id ?? null;
}

/** Records which account an invite was used for. */
export async function bindInvite(db: Db, id: string, accountId: string): Promise<void> {
  await db.updateTable('invites').set({ used_by: accountId }).where('id', '=', id).execute();
}

/** Gives back a claimed invite whose registration failed (it was never bound to an account). */
export async function releaseInvite(db: Db, id: string): Promise<void> {
  await db.updateTable('invites').set({ used_at: null }).where('id', '=', id).where('used_by', 'is', null).execute();
}

/** An unused invite by id. */
export async function findUnusedInviteById(db: Db, id: string): Promise<InviteRow | undefined> {
  return db.selectFrom('invites').selectAll().where('id', '=', id).where('used_at', 'is', null).executeTakeFirst();
}

/** Deletes an unused invite; true when there was one. */
export async function deleteUnusedInvite(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('invites').where('id', '=', id).where('used_at', 'is', null).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}
