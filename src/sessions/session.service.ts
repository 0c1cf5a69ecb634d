import type { Kysely, Transaction } from 'kysely';
import type { Clock, RandomSource } from '../clock.js';
import type { DB, SessionRow } from '../db/types.js';
import { safeEqual, sha256 } from '../util/hashing.js';
import type { Awaitable } from '../util/awaitable.js';
import { LruCache } from '../util/lru.js';
import { localBus, type ClusterBus } from '../cluster/bus.js';
import { AppError } from '../http/errors.js';
import { findSession, insertSession, listLiveSessions, raiseSessionAmr, revokeAccountSessions, revokeSessionRow, touchSession } from './session.repository.js';

type Db = Kysely<DB> | Transaction<DB>;

/** How a session began (CONTRACT §3). */
export type LoginMethod = 'password' | 'basic' | 'cookie' | 'google' | 'facebook' | 'oidc' | 'saml' | 'cas' | 'apikey' | 'guest' | 'refresh' | 'passkey';

/** Activity is written at most this often per session. */
const TOUCH_INTERVAL_MS = 60_000;

/** A cached "live" answer is trusted this long without the database, should a broadcast ever be lost unnoticed. */
const RECHECK_AFTER_MS = 60_000;

interface LiveSession {
  accountId: string;
  expiresAt: number | null;
  /** When last_access was last written, to throttle writes. */
  lastWrite: number;
  /** When the database last confirmed the session. */
  checkedAt: number;
}

/** Where a login came from, for the session list. */
export interface ClientInfo {
  inetAddress: string | null;
  userAgent: string | null;
}

/** A session's stored `amr` (space separated) as the list a token carries; none recorded: none carried. */
export function amrOf(stored: string | null): string[] | undefined {
  return stored ? stored.split(' ') : undefined;
}

/** The fields a new session needs. */
export interface NewSession extends ClientInfo {
  accountId: string;
  method: LoginMethod;
  clientId: string | null;
  scope: string | null;
  expiresAt: number | null;
  secretHash?: string | null;
  /** How the person proved who they are (RFC 8176 `amr` values: `pwd`, `otp`, `mfa`, `fed`, …). */
  amr?: readonly string[];
}

/**
 * Sessions: every credential belongs to one, and revoking it ends them all (CONTRACT §3).
 * Liveness is cached per node; a revocation on this node drops it at once (other nodes: issue 6's broadcast).
 */
export class SessionService {
  /** Sessions known live, so a cached credential costs no database round trip. */
  private readonly live = new LruCache<string, LiveSession>(100_000);
  /**
   * Cookie credentials already checked against their stored hash, keyed by the credential itself: the process holds
   * it while serving the request anyway (as the verified-token cache holds tokens), and hashing it again on every
   * request cost more than the rest of the check.
   */
  private readonly verifiedSecrets = new LruCache<string, string>(100_000);
  /** Sessions known revoked, kept until no access token of theirs can still be unexpired. */
  private readonly revoked = new LruCache<string, number>(100_000);
  private readonly endListeners: Array<(sessionIds: string[]) => Promise<void>> = [];

  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly bus: Pick<ClusterBus, 'publish'> = localBus,
  ) {}

  /** Revocations made on other nodes (CONTRACT §3: revoking a session invalidates it on every node). */
  forgetRevoked(sessionIds: string[]): void {
    for (const id of sessionIds) this.forget(id);
  }

  /** Broadcasts may have been lost: trust no cached liveness until the database confirms it again. */
  forgetAllLive(): void {
    this.live.clear();
  }

  /** Starts a session and returns its id; `db` lets a caller make it part of a transaction. */
  async create(input: NewSession, db: Db = this.db): Promise<SessionRow> {
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
      amr: input.amr?.length ? input.amr.join(' ') : null,
    };
    await insertSession(db, row);
    this.live.set(row.id, { accountId: row.account_id, expiresAt: row.expires_at, lastWrite: now, checkedAt: now });
    return row;
  }

  /** Starts a session whose credential is `id.secret` (cookie sessions); only the secret's hash is stored. */
  async createWithSecret(input: NewSession): Promise<{ session: SessionRow; credential: string }> {
    const secret = this.random.bytes(32).toString('base64url');
    const session = await this.create({ ...input, secretHash: sha256(secret) });
    return { session, credential: `${session.id}.${secret}` };
  }

  /** The live session an `id.secret` credential belongs to, or null when it is unknown, wrong, ended or revoked. */
  verifyCredential(credential: string): Awaitable<{ sessionId: string; accountId: string } | null> {
    return this.verifiedCredential(credential) ?? this.verifyCredentialStored(credential);
  }

  /**
   * The session of a credential checked before whose session is known live, from memory alone; `undefined` when
   * that takes the database. Why: a browser presents the same cookie on every request.
   */
  private verifiedCredential(credential: string): { sessionId: string; accountId: string } | undefined {
    const sessionId = this.verifiedSecrets.get(credential);
    if (sessionId === undefined || !this.isLiveCached(sessionId)) return undefined;
    return { sessionId, accountId: this.live.get(sessionId)!.accountId };
  }

  private async verifyCredentialStored(credential: string): Promise<{ sessionId: string; accountId: string } | null> {
    const match = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/.exec(credential);
    if (!match) return null;
    const [, sessionId, secret] = match as unknown as [string, string, string];
    if (this.verifiedSecrets.get(credential) !== sessionId) {
      const row = await findSession(this.db, sessionId);
      if (!row?.secret_hash || !safeEqual(row.secret_hash, sha256(secret))) return null;
      this.verifiedSecrets.set(credential, sessionId);
    }
    if (!(await this.isLive(sessionId))) return null;
    return { sessionId, accountId: this.live.get(sessionId)!.accountId };
  }

  /**
   * Records activity: `last_access` (and, with `slideMs`, a new end) is written at most once a minute per session,
   * never once per request (DESIGN "Performance by design"). Returns the new end when it moved.
   */
  async touch(sessionId: string, slideMs: number | null): Promise<number | null> {
    if (!this.touchDue(sessionId)) return null;
    const entry = this.live.get(sessionId)!;
    const now = this.clock.now();
    entry.lastWrite = now;
    const expiresAt = slideMs === null ? entry.expiresAt : now + slideMs;
    entry.expiresAt = expiresAt;
    await touchSession(this.db, sessionId, now, expiresAt);
    return slideMs === null ? null : expiresAt;
  }

  /** Whether `touch` would write now; when not, a request may skip it. */
  touchDue(sessionId: string): boolean {
    const entry = this.live.get(sessionId);
    return entry !== undefined && this.clock.now() - entry.lastWrite >= TOUCH_INTERVAL_MS;
  }

  /** True when the session exists, is not revoked and has not ended. */
  async isLive(sessionId: string): Promise<boolean> {
    if (this.isLiveCached(sessionId)) return true;
    if (this.revoked.get(sessionId) !== undefined) return false;
    const now = this.clock.now();
    const cached = this.live.get(sessionId);
    const row = await findSession(this.db, sessionId);
    if (!row || row.revoked_at !== null) {
      this.revoked.set(sessionId, now);
      return false;
    }
    this.live.set(sessionId, { accountId: row.account_id, expiresAt: row.expires_at, lastWrite: cached?.lastWrite ?? row.last_access, checkedAt: now });
    return row.expires_at === null || row.expires_at > now;
  }

  /**
   * True when memory alone says the session is live: cached, not revoked, not ended, confirmed by the database
   * within the last minute. False means "ask `isLive`", not "dead".
   */
  isLiveCached(sessionId: string): boolean {
    const cached = this.live.get(sessionId);
    if (cached === undefined || this.revoked.get(sessionId) !== undefined) return false;
    const now = this.clock.now();
    // A session that looks ended here may have been extended on another node (refresh, sliding cookie): ask the database.
    return now - cached.checkedAt < RECHECK_AFTER_MS && (cached.expiresAt === null || cached.expiresAt > now);
  }

  /**
   * When a session ends, from the cache `isLive` just filled (or the database); why: "who is calling" answers
   * run on every request and must not cost a round trip.
   */
  endOf(sessionId: string): Awaitable<number | null> {
    const cached = this.live.get(sessionId);
    if (cached) return cached.expiresAt;
    return findSession(this.db, sessionId).then((row) => row?.expires_at ?? null);
  }

  /** A session row, fresh from the database. */
  async find(sessionId: string): Promise<SessionRow | undefined> {
    return findSession(this.db, sessionId);
  }

  /**
   * A step-up's second factor raised a live session of the account (CONTRACT §5, OpenID `acr`): its `amr` becomes
   * `amr`, its id, secret and sign-in time stay. Undefined when it is no longer live or not the account's.
   */
  async raise(sessionId: string, accountId: string, amr: readonly string[]): Promise<SessionRow | undefined> {
    const [session] = await listLiveSessions(this.db, accountId, this.clock.now(), sessionId);
    if (!session) return undefined;
    await raiseSessionAmr(this.db, sessionId, amr.join(' '));
    return { ...session, amr: amr.join(' ') };
  }

  /** The account's live sessions, newest first (the one live-sessions query, session.repository.ts). */
  async listLive(accountId: string): Promise<SessionRow[]> {
    return listLiveSessions(this.db, accountId, this.clock.now());
  }

  /**
   * One live session of the account; `not-found` alike for a missing, ended, revoked or someone else's session,
   * so a session id tells a caller nothing about sessions not theirs.
   */
  async ownLive(accountId: string, sessionId: string): Promise<SessionRow> {
    const [session] = await listLiveSessions(this.db, accountId, this.clock.now(), sessionId);
    if (!session) throw new AppError('not-found', 'no such session');
    return session;
  }

  /**
   * Tells `listener` of the sessions this node ends (after they are revoked), once each, wherever the end came from.
   * Why: what was made in a session elsewhere ends with it (the OpenID provider's grants, issue 18), and the node
   * that ended it is the one to tell the apps. A listener handles its own failures.
   */
  onEnded(listener: (sessionIds: string[]) => Promise<void>): void {
    this.endListeners.push(listener);
  }

  /** Ends one session. */
  async revoke(sessionId: string): Promise<boolean> {
    this.forget(sessionId);
    const revoked = await revokeSessionRow(this.db, sessionId, this.clock.now());
    await this.bus.publish({ revoked: [sessionId] });
    if (revoked) await this.notifyEnded([sessionId]);
    return revoked;
  }

  private async notifyEnded(sessionIds: string[]): Promise<void> {
    await Promise.all(this.endListeners.map((listener) => listener(sessionIds)));
  }

  /** Ends every session of an account but `keep` (password change keeps the current one, seed 004). */
  async revokeAllForAccount(accountId: string, keep?: string): Promise<number> {
    const ids = await revokeAccountSessions(this.db, accountId, this.clock.now(), keep);
    for (const id of ids) this.forget(id);
    if (ids.length) await this.bus.publish({ revoked: ids });
    if (ids.length) await this.notifyEnded(ids);
    return ids.length;
  }

  /** A session's end was moved to match its newest refresh token (the rotation wrote it): the cache follows. */
  noteExtended(sessionId: string, expiresAt: number | null): void {
    const cached = this.live.get(sessionId);
    if (cached) this.live.set(sessionId, { ...cached, expiresAt });
  }

  private forget(sessionId: string): void {
    this.live.delete(sessionId);
    this.revoked.set(sessionId, this.clock.now());
  }
}
