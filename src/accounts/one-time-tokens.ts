import type { Kysely } from 'kysely';
import type { Clock, RandomSource } from '../clock.js';
import type { DB, OneTimeTokenRow } from '../db/types.js';
import { sha256 } from '../util/hashing.js';

type Kind = OneTimeTokenRow['kind'];

/**
 * An account event after which outstanding one-time tokens must stop working (security review, issue 14 item 8a).
 * `revertIssuedAt`: when the revert link that was just followed had been created.
 */
export type TokenVoidingEvent =
  | { type: 'password-changed' }
  | { type: 'email-changed' }
  | { type: 'email-reverted'; revertIssuedAt: number };

/**
 * Which kinds each event voids, and why (README "Hosted pages" says it in short for users):
 * - `reset` always: a reset link lets whoever holds it take the account; after any of these events it may sit in a
 *   mailbox the owner no longer trusts (the attacker's, after a reverted hijack) or predate the owner's new password.
 * - `email-change` (a pending change's link) always: a password change or a revert re-secures the account, so a
 *   change started before it — perhaps from a stolen session — must be asked for again.
 * - `confirm` only when the address moves: it confirms the address the account has, so a password change leaves it
 *   (there is no other way to get a new one), while a moved address makes it meaningless.
 * - `email-revert` never on a password change or a completed change: the notice's revert link is the victim's only
 *   way back after an attacker moved the address to a mailbox they control (and reset the password through it).
 *   A completed revert voids the revert links issued after the followed one (they lead to addresses that came later,
 *   possibly the attacker's) and keeps the older ones (they lead further back, to the owner's), so an attacker who
 *   chained two changes cannot revert to their first address and thereby cancel the owner's link.
 */
const voidedKinds: Record<TokenVoidingEvent['type'], Kind[]> = {
  'password-changed': ['reset', 'email-change'],
  'email-changed': ['reset', 'email-change', 'confirm'],
  'email-reverted': ['reset', 'email-change', 'confirm'],
};

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

  /** Voids what an account event makes unsafe (see {@link voidedKinds}); why: one place decides, every event calls it. */
  async voidOutstanding(accountId: string, event: TokenVoidingEvent): Promise<number> {
    const result = await this.db
      .updateTable('one_time_tokens')
      .set({ used_at: this.clock.now() })
      .where('account_id', '=', accountId)
      .where('used_at', 'is', null)
      .where((eb) => {
        const kinds = eb('kind', 'in', voidedKinds[event.type]);
        if (event.type !== 'email-reverted') return kinds;
        return eb.or([kinds, eb.and([eb('kind', '=', 'email-revert'), eb('created_at', '>=', event.revertIssuedAt)])]);
      })
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}
