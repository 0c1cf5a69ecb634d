import { sql, type Kysely, type Transaction } from 'kysely';
import type { Clock, RandomSource } from '../clock.js';
import { PreparedStatement, transaction } from '../db/prepared.js';
import type { DialectName } from '../db/database.js';
import type { DB, RefreshTokenRow, SessionRow } from '../db/types.js';
import { extendSession } from '../sessions/session.repository.js';
import { AppError } from '../http/errors.js';
import { hmac, safeEqual, sha256 } from '../util/hashing.js';

type Db = Kysely<DB> | Transaction<DB>;

/** The outcome of presenting a refresh token. */
export interface Rotation {
  sessionId: string;
  refreshToken: string;
  expiresAt: number | null;
}

/** A token's session as read together with the token (undefined when the row is gone). */
export type TokenSession = Pick<SessionRow, 'id' | 'account_id' | 'method' | 'client_id' | 'scope' | 'revoked_at' | 'amr'>;

/** What rotation asks of the session layer. */
export interface RotationHooks {
  /** The lifetime of the successor (null: never expires); throws when the session is no longer live. */
  sessionTtl(session: TokenSession | undefined): number | null;
  /** The session's end moved to the successor's (the rotation wrote it); lets the session layer update its cache. */
  sessionExtended(sessionId: string, expiresAt: number | null): void;
  /** Called when a rotated token is replayed after the reuse window; must revoke the session. */
  onReuse(sessionId: string): Promise<void>;
}

/**
 * Opaque refresh tokens `id.secret`: only SHA-256 of the secret is stored; each use rotates.
 *
 * The successor is derived from the presented token under a server key (CONTRACT §3), so every node that sees
 * the same token within `tokens.refreshReuseInterval` hands out the same successor without storing it in clear.
 * Rotation is one conditional UPDATE, so exactly one caller wins and the rest take the reuse-window path.
 */
export class RefreshTokens {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly options: { serverKey: string; reuseIntervalMs: number; clock: Clock; random: RandomSource; dialect: DialectName },
  ) {}

  /** Issues the first refresh token of a session; `db` lets a caller make it part of a transaction. */
  async issue(sessionId: string, expiresAt: number | null, db: Db = this.db): Promise<string> {
    const id = this.options.random.bytes(16).toString('base64url');
    const secret = this.options.random.bytes(32).toString('base64url');
    await this.store(db, id, secret, sessionId, expiresAt, 'insert');
    return `${id}.${secret}`;
  }

  /**
   * Rotates a presented token. Throws `invalid-token`, `refresh-token-expired`, or `refresh-token-reused`
   * (after calling `onReuse`, which must revoke the session: a stolen token was probably replayed).
   */
  async rotate(presented: string, hooks: RotationHooks): Promise<Rotation> {
    const { row, session } = await this.lookupWithSession(presented);
    const ttlMs = hooks.sessionTtl(session);
    const now = this.options.clock.now();
    if (row.expires_at !== null && row.expires_at <= now) throw new AppError('refresh-token-expired');
    const successor = this.successorOf(presented);
    const refreshToken = `${successor.id}.${successor.secret}`;
    const expiresAt = ttlMs === null ? null : now + ttlMs;
    const won = row.rotated_at === null && (await this.commitRotation(row, successor, expiresAt, now));
    if (won) {
      hooks.sessionExtended(row.session_id, expiresAt);
      return { sessionId: row.session_id, refreshToken, expiresAt };
    }
    const rotatedAt = row.rotated_at ?? (await this.rotatedAt(row.id));
    if (rotatedAt === null || now - rotatedAt > this.options.reuseIntervalMs) {
      await hooks.onReuse(row.session_id);
      throw new AppError('refresh-token-reused');
    }
    // Within the reuse window: the same successor the winner stored (stored here too should it have been purged).
    await this.store(this.db, successor.id, successor.secret, row.session_id, expiresAt, 'insert-if-absent');
    const stored = await this.db.selectFrom('refresh_tokens').select('expires_at').where('id', '=', successor.id).executeTakeFirstOrThrow();
    return { sessionId: row.session_id, refreshToken, expiresAt: stored.expires_at };
  }

  /**
   * Marks the token rotated, stores its successor and moves the session's end: all or nothing, so a concurrent
   * rotation that loses the mark finds the successor already stored. False when another rotation marked it first.
   * On PostgreSQL one statement (one round trip, one commit); on SQLite, where a statement costs no round trip, one
   * transaction of three.
   */
  private async commitRotation(row: RefreshTokenRow, successor: { id: string; secret: string }, expiresAt: number | null, now: number): Promise<boolean> {
    if (this.options.dialect === 'postgres') {
      return (await rotateInOneStatement.first(this.db, row.id, now, successor.id, sha256(successor.secret), expiresAt)) !== undefined;
    }
    return transaction(this.db, async (trx) => {
      if (!(await this.markRotated(trx, row.id, now))) return false;
      await this.store(trx, successor.id, successor.secret, row.session_id, expiresAt, 'insert');
      await extendSession(trx, row.session_id, expiresAt, now);
      return true;
    });
  }

  /** The session a token belongs to, for logout by refresh token; throws `invalid-token`. */
  async sessionOf(presented: string): Promise<string> {
    return (await this.lookup(presented)).session_id;
  }

  private async lookup(presented: string): Promise<RefreshTokenRow> {
    const { id, secret } = parsePresented(presented);
    return checked(await tokenById.first(this.db, id), secret);
  }

  /** The token and its session in one statement; why: on PostgreSQL each statement is a round trip. */
  private async lookupWithSession(presented: string): Promise<{ row: RefreshTokenRow; session: TokenSession | undefined }> {
    const { id, secret } = parsePresented(presented);
    const found = await tokenWithSession.first(this.db, id);
    const row = checked(found, secret);
    const session = found?.session_found == null ? undefined : {
      id: found.session_found, account_id: found.session_account_id!, method: found.session_method!,
      client_id: found.session_client_id, scope: found.session_scope, revoked_at: found.session_revoked_at, amr: found.session_amr,
    };
    return { row, session };
  }

  private async markRotated(db: Db, id: string, now: number): Promise<boolean> {
    return (await markRotated.run(db, id, now)) === 1;
  }

  private async rotatedAt(id: string): Promise<number | null> {
    const row = await this.db.selectFrom('refresh_tokens').select('rotated_at').where('id', '=', id).executeTakeFirst();
    return row?.rotated_at ?? null;
  }

  private successorOf(presented: string): { id: string; secret: string } {
    return {
      id: hmac(this.options.serverKey, `refresh-successor-id:${presented}`, 16),
      secret: hmac(this.options.serverKey, `refresh-successor-secret:${presented}`, 32),
    };
  }

  private async store(db: Db, id: string, secret: string, sessionId: string, expiresAt: number | null, mode: 'insert' | 'insert-if-absent'): Promise<void> {
    if (mode === 'insert') {
      await tokenInsert.run(db, id, sessionId, sha256(secret), this.options.clock.now(), expiresAt);
      return;
    }
    const insert = db.insertInto('refresh_tokens').values({
      id,
      session_id: sessionId,
      secret_hash: sha256(secret),
      created_at: this.options.clock.now(),
      expires_at: expiresAt,
      rotated_at: null,
    });
    await insert.onConflict((oc) => oc.column('id').doNothing()).execute();
  }
}

/** Only the shape we issue (base64url `id.secret`) reaches the database; anything else is an invalid credential. */
function parsePresented(presented: string): { id: string; secret: string } {
  if (!/^[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{1,128}$/.test(presented)) throw new AppError('invalid-token');
  const [id, secret] = presented.split('.') as [string, string];
  return { id, secret };
}

/** The row when the presented secret matches its stored hash; `invalid-token` otherwise. */
function checked(row: RefreshTokenRow | undefined, secret: string): RefreshTokenRow {
  if (!row || !safeEqual(row.secret_hash, sha256(secret))) throw new AppError('invalid-token');
  return row;
}

const tokenWithSession = new PreparedStatement(1, (db, id: string) =>
  db
    .selectFrom('refresh_tokens')
    .leftJoin('sessions', 'sessions.id', 'refresh_tokens.session_id')
    .selectAll('refresh_tokens')
    .select([
      'sessions.id as session_found', 'sessions.account_id as session_account_id', 'sessions.method as session_method',
      'sessions.client_id as session_client_id', 'sessions.scope as session_scope', 'sessions.revoked_at as session_revoked_at',
      'sessions.amr as session_amr',
    ])
    .where('refresh_tokens.id', '=', id));

const tokenById = new PreparedStatement(1, (db, id: string) => db.selectFrom('refresh_tokens').selectAll().where('id', '=', id));

const markRotated = new PreparedStatement(2, (db, id: string, now: number) =>
  db.updateTable('refresh_tokens').set({ rotated_at: now }).where('id', '=', id).where('rotated_at', 'is', null));

/** PostgreSQL: the rotation's three writes as one statement; answers a row only when this call made the mark. */
const rotateInOneStatement = new PreparedStatement(5, (_db, id: string, now: number, successorId: string, secretHash: string, expiresAt: number | null) =>
  sql<{ session_id: string }>`with marked as (
      update refresh_tokens set rotated_at = ${now} where id = ${id} and rotated_at is null returning session_id),
    stored as (
      insert into refresh_tokens (id, session_id, secret_hash, created_at, expires_at, rotated_at)
      select ${successorId}, session_id, ${secretHash}, ${now}, ${expiresAt}, null from marked),
    extended as (
      update sessions set expires_at = ${expiresAt}, last_access = ${now} where id in (select session_id from marked))
    select session_id from marked`);

const tokenInsert = new PreparedStatement(5, (db, id: string, session_id: string, secret_hash: string, created_at: number, expires_at: number | null) =>
  db.insertInto('refresh_tokens').values({ id, session_id, secret_hash, created_at, expires_at, rotated_at: null }));
