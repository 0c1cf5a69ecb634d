import type { Kysely } from 'kysely';
import type { Clock, RandomSource } from '../clock.js';
import type { DB } from '../db/types.js';
import { AppError } from '../http/errors.js';
import { sha256 } from '../util/hashing.js';
import { LruCache } from '../util/lru.js';

/** Prefix of every opaque access reference, so the authenticator can tell one from a JWT without a lookup. */
export const OPAQUE_PREFIX = 'gh_at.';

/** Whether a bearer credential is an opaque reference rather than a JWT. */
export function isOpaqueToken(token: string): boolean {
  return token.startsWith(OPAQUE_PREFIX);
}

/**
 * Opaque access references (`tokens.clientFormat: opaque`; split / phantom token): clients hold `gh_at.<random>`,
 * the database holds its SHA-256 with the session and the end; `GET /api/auth/context` turns it into the internal JWT.
 */
export class OpaqueTokens {
  private readonly cache = new LruCache<string, { sessionId: string; accountId: string; expiresAt: number }>(50_000);

  constructor(private readonly db: Kysely<DB>, private readonly clock: Clock, private readonly random: RandomSource) {}

  async issue(sessionId: string, accountId: string, ttlMs: number): Promise<{ token: string; expiresAt: number }> {
    const token = OPAQUE_PREFIX + this.random.bytes(32).toString('base64url');
    const expiresAt = Math.floor((this.clock.now() + ttlMs) / 1000) * 1000;
    await this.db.insertInto('opaque_tokens').values({ hash: sha256(token), session_id: sessionId, account_id: accountId, expires_at: expiresAt }).execute();
    return { token, expiresAt };
  }

  /** The session of a reference; throws `invalid-token` (unknown) or `access-token-expired`. Revocation is the caller's check. */
  async resolve(token: string): Promise<{ sessionId: string; accountId: string }> {
    const hash = sha256(token);
    let entry = this.cache.get(hash);
    if (!entry) {
      const row = await this.db.selectFrom('opaque_tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
      if (!row) throw new AppError('invalid-token');
      entry = { sessionId: row.session_id, accountId: row.account_id, expiresAt: Number(row.expires_at) };
      this.cache.set(hash, entry);
    }
    if (entry.expiresAt <= this.clock.now()) throw new AppError('access-token-expired');
    return { sessionId: entry.sessionId, accountId: entry.accountId };
  }

  /** Deletes references that ended before `before` (for the cleanup job). */
  async deleteExpired(before: number): Promise<number> {
    const result = await this.db.deleteFrom('opaque_tokens').where('expires_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
