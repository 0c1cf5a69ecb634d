import type { Kysely, Transaction } from 'kysely';
import { PreparedStatement } from '../db/prepared.js';
import type { DB, SessionRow, SessionTable } from '../db/types.js';

type Db = Kysely<DB> | Transaction<DB>;

/** Stores a new session row. */
export async function insertSession(db: Db, session: SessionTable): Promise<void> {
  await sessionInsert.run(db, session.id, session.account_id, session.method, session.client_id, session.scope, session.secret_hash,
    session.login_time, session.expires_at, session.last_access, session.inet_address, session.user_agent, session.revoked_at, session.amr);
}

const sessionInsert = new PreparedStatement(13, (db, id: string, account_id: string, method: string, client_id: string | null, scope: string | null,
  secret_hash: string | null, login_time: number, expires_at: number | null, last_access: number, inet_address: string | null, user_agent: string | null,
  revoked_at: number | null, amr: string | null) =>
  db.insertInto('sessions').values({ id, account_id, method, client_id, scope, secret_hash, login_time, expires_at, last_access, inet_address, user_agent, revoked_at, amr }));

/** A session by id, revoked or not. */
export async function findSession(db: Db, id: string): Promise<SessionRow | undefined> {
  return sessionById.first(db, id);
}

const sessionById = new PreparedStatement(1, (db, id: string) => db.selectFrom('sessions').selectAll().where('id', '=', id));

/** Marks one session revoked; returns whether it was live. */
export async function revokeSessionRow(db: Db, id: string, now: number): Promise<boolean> {
  const result = await db.updateTable('sessions').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Revokes every live session of an account except `keep`; returns the ids revoked so caches can drop them. */
export async function revokeAccountSessions(db: Db, accountId: string, now: number, keep?: string): Promise<string[]> {
  let query = db.selectFrom('sessions').select('id').where('account_id', '=', accountId).where('revoked_at', 'is', null);
  if (keep) query = query.where('id', '!=', keep);
  const ids = (await query.execute()).map((row) => row.id);
  if (ids.length) await db.updateTable('sessions').set({ revoked_at: now }).where('id', 'in', ids).execute();
  return ids;
}

/** Records how a live session's person has now proved who they are (a step-up added a second factor). */
export async function raiseSessionAmr(db: Db, id: string, amr: string): Promise<void> {
  await db.updateTable('sessions').set({ amr }).where('id', '=', id).where('revoked_at', 'is', null).execute();
}

/** Moves a session's end (refresh rotation slides it). */
export async function extendSession(db: Db, id: string, expiresAt: number | null, now: number): Promise<void> {
  await sessionEnd.run(db, id, expiresAt, now);
}

const sessionEnd = new PreparedStatement(3, (db, id: string, expiresAt: number | null, now: number) =>
  db.updateTable('sessions').set({ expires_at: expiresAt, last_access: now }).where('id', '=', id));

/**
 * Live sessions of an account (not revoked, not ended), newest first; with `sessionId`, only that one. Why one
 * query: every listing and every "is this session yours" look-up must agree on what is live.
 */
export async function listLiveSessions(db: Db, accountId: string, now: number, sessionId?: string): Promise<SessionRow[]> {
  let query = db
    .selectFrom('sessions')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
  if (sessionId !== undefined) query = query.where('id', '=', sessionId);
  return query.orderBy('login_time', 'desc').execute();
}

/** Records activity and, for sliding sessions, the new end; a revoked session stays revoked. */
export async function touchSession(db: Db, id: string, now: number, expiresAt: number | null): Promise<void> {
  await db.updateTable('sessions').set({ last_access: now, expires_at: expiresAt }).where('id', '=', id).where('revoked_at', 'is', null).execute();
}
