import type { Kysely } from 'kysely';
import type { Clock, RandomSource } from '../clock.js';
import type { DB, OneTimeTokenRow } from '../db/types.js';
import { sha256 } from '../util/hashing.js';

type Kind = OneTimeTokenRow['kind'];

/**
 * E-mailed single-use tokens (confirm, reset, e-mail change): 256 random bits, stored as SHA-256,
 * consumed by one conditional UPDATE so a link works exactly once even when clicked twice at the same moment.
 */
export class OneTimeTokens {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: Clock,
    private readonly random: RandomSource,
  ) {}

  /** Creates a token and returns it in clear (the only time it exists in clear). */
  async create(kind: Kind, accountId: string, ttlMs: number, data: string | null = null): Promise<string> {
    const token = this.random.bytes(32).toString('base64url');
    const now = this.clock.now();
    await this.db
      .insertInto('one_time_tokens')
      .values({ token_hash: sha256(token), kind, account_id: accountId, data, created_at: now, expires_at: now + ttlMs, used_at: null })
      .execute();
    return token;
  }

  /** Uses a token once; returns its row, or null when unknown, of another kind, expired or already used. */
  async consume(kind: Kind, token: string): Promise<OneTimeTokenRow | null> {
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
    const hash = sha256(token);
    const now = this.clock.now();
    const result = await this.db
      .updateTable('one_time_tokens')
      .set({ used_at: now })
      .where('token_hash', '=', hash)
      .where('kind', '=', kind)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return null;
    return (await this.db.selectFrom('one_time_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst()) ?? null;
  }

  /** Invalidates an account's outstanding tokens of a kind (a new reset link makes older ones useless). */
  async revokeAll(kind: Kind, accountId: string): Promise<void> {
    await this.db
      .updateTable('one_time_tokens')
      .set({ used_at: this.clock.now() })
      .where('kind', '=', kind)
      .where('account_id', '=', accountId)
      .where('used_at', 'is', null)
      .execute();
  }
}
