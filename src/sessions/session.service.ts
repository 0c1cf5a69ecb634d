import type { Kysely } from 'kysely';
import type { Clock, RandomSource } from '../clock.js';
import type { DB, SessionRow } from '../db/types.js';
import { LruCache } from '../util/lru.js';
import { extendSession, findSession, insertSession, revokeAccountSessions, revokeSessionRow } from './session.repository.js';

/** How a session began (CONTRACT §3). */
export type LoginMethod = 'password' | 'basic' | 'cookie' | 'google' | 'facebook' | 'oidc' | 'saml' | 'cas' | 'apikey' | 'guest' | 'refresh';

/** Where a login came from, for the session list. */
export interface ClientInfo {
  inetAddress: string | null;
  userAgent: string | null;
}

/** The fields a new session needs. */
export interface NewSession extends ClientInfo {
  accountId: string;
  method: LoginMethod;
  clientId: string | null;
  scope: string | null;
  expiresAt: number | null;
  secretHash?: string | null;
}

/**
 * Sessions: every credential belongs to one, and revoking it ends them all (CONTRACT §3).
 * Liveness is cached per node; a revocation on this node drops it at once (other nodes: issue 6's broadcast).
 */
export class SessionService {
  /** Sessions known live, so a cached access token costs no database round trip. */
  private readonly live = new LruCache<string, { accountId: string; expiresAt: number | null }>(100_000);
  /** Sessions known revoked, kept until no access token of theirs can still be unexpired. */
  private readonly revoked = new LruCache<string, number>(100_000);

  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: Clock,
    private readonly random: RandomSource,
  ) {}

  /** Starts a session and returns its id. */
  async create(input: NewSession): Promise<SessionRow> {
    const now = this.clock.now();
    const row: SessionRow = {
      id: this.random.uuid(),
      account_id: input.accountId,
      method: input.method,
      client_id: input.clientId,
      scope: input.scope,
      secret_hash: input.secretHash ?? null,
      login_time: now,
      expires_at: input.expiresAt,
      last_access: now,
      inet_address: input.inetAddress,
      user_agent: input.userAgent ? input.userAgent.slice(0, 512) : null,
      revoked_at: null,
    };
    await insertSession(this.db, row);
    this.live.set(row.id, { accountId: row.account_id, expiresAt: row.expires_at });
    return row;
  }

  /** True when the session exists, is not revoked and has not ended. */
  async isLive(sessionId: string): Promise<boolean> {
    if (this.revoked.get(sessionId) !== undefined) return false;
    const now = this.clock.now();
    const cached = this.live.get(sessionId);
    if (cached) return cached.expiresAt === null || cached.expiresAt > now;
    const row = await findSession(this.db, sessionId);
    if (!row || row.revoked_at !== null) {
      this.revoked.set(sessionId, now);
      return false;
    }
    this.live.set(sessionId, { accountId: row.account_id, expiresAt: row.expires_at });
    return row.expires_at === null || row.expires_at > now;
  }

  /** A session row, fresh from the database. */
  async find(sessionId: string): Promise<SessionRow | undefined> {
    return findSession(this.db, sessionId);
  }

  /** Ends one session. */
  async revoke(sessionId: string): Promise<boolean> {
    this.forget(sessionId);
    return revokeSessionRow(this.db, sessionId, this.clock.now());
  }

  /** Ends every session of an account but `keep` (password change keeps the current one, seed 004). */
  async revokeAllForAccount(accountId: string, keep?: string): Promise<number> {
    const ids = await revokeAccountSessions(this.db, accountId, this.clock.now(), keep);
    for (const id of ids) this.forget(id);
    return ids.length;
  }

  /** Slides a session's end to match its newest refresh token. */
  async extend(sessionId: string, expiresAt: number | null): Promise<void> {
    await extendSession(this.db, sessionId, expiresAt, this.clock.now());
    const cached = this.live.get(sessionId);
    if (cached) this.live.set(sessionId, { ...cached, expiresAt });
  }

  private forget(sessionId: string): void {
    this.live.delete(sessionId);
    this.revoked.set(sessionId, this.clock.now());
  }
}
