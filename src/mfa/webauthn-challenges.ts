import type { Kysely } from 'kysely';
import type { Clock, RandomSource } from '../clock.js';
import type { DB } from '../db/types.js';

/**
 * Which ceremony a challenge is for: it answers only that one. `step-up` proves a signed-in person again before a
 * sensitive change; a login's or a second step's challenge never does, nor the other way round.
 */
export type ChallengePurpose = 'register' | 'login' | 'second-step' | 'step-up';

/**
 * WebAuthn challenges (CONTRACT §5): 32 random bytes per ceremony, kept in the database so that the node answering
 * the ceremony need not be the one that began it, and taken by one conditional DELETE so that exactly one request
 * uses each (a replayed assertion finds its challenge gone). Refused after `mfa.challengeTtl`.
 */
export class WebauthnChallenges {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly ttlMs: number,
  ) {}

  /** A new challenge (base64url) for `purpose`, bound to `accountId` when the ceremony knows its account. */
  async issue(purpose: ChallengePurpose, accountId: string | null): Promise<string> {
    const challenge = this.random.bytes(32).toString('base64url');
    const now = this.clock.now();
    // Expired challenges are of no use to anyone: each new one sweeps them (an indexed range delete).
    await this.db.deleteFrom('webauthn_challenges').where('expires_at', '<=', now).execute();
    await this.db.insertInto('webauthn_challenges')
      .values({ challenge, purpose, account_id: accountId, expires_at: now + this.ttlMs, created_at: now })
      .execute();
    return challenge;
  }

  /**
   * Uses `challenge` up: true for exactly one caller, on any node, while it is live, made for `purpose` and (when
   * `accountId` is given) for that account. False for one unknown, used, expired, or made for something else.
   */
  async take(challenge: string, purpose: ChallengePurpose, accountId: string | null): Promise<boolean> {
    if (challenge.length === 0 || challenge.length > 128) return false;
    let query = this.db.deleteFrom('webauthn_challenges')
      .where('challenge', '=', challenge).where('purpose', '=', purpose).where('expires_at', '>', this.clock.now());
    query = accountId === null ? query.where('account_id', 'is', null) : query.where('account_id', '=', accountId);
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}
