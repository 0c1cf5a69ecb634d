import type { Kysely } from 'kysely';
import type { Clock, RandomSource } from '../clock.js';
import type { DB } from '../db/types.js';
import { sha256 } from '../util/hashing.js';

/** The prefix of an `mfaToken`: the credential reader tells it from an access token by it and never takes it as one. */
export const MFA_TOKEN_PREFIX = 'gh_mfa_';

/** `enroll` column: 1 = must enrol a factor first; 2 / 3 = did so within this sign-in (markEnrolled), TOTP / a passkey. */
const ENROLL = 1;
const ENROLLED: Record<EnrolledFactor, number> = { totp: 2, webauthn: 3 };

/** The factors a hosted page can set up within a sign-in: an authenticator app, or a passkey. */
export type EnrolledFactor = 'totp' | 'webauthn';

/** Wrong codes one `mfaToken` may take before it is spent (the account's lockout counts them too). */
const MAX_FAILURES = 5;

/** A sign-in waiting for its second factor. */
export interface PendingSignIn {
  tokenHash: string;
  accountId: string;
  /** What the sign-in pipeline stored to finish the login the way it began; opaque here. */
  continuation: string;
  /** RFC 8176 `amr` of the first factor (`pwd`, `fed`). */
  firstFactor: string;
  /** The account must enrol a factor first (`mfa.requiredFor`, none enrolled). */
  enroll: boolean;
  /** It has, within this sign-in: a hosted page set up TOTP or a passkey with this token (markEnrolled), which proves the factor. */
  enrolled?: EnrolledFactor | undefined;
}

/** What a new pending sign-in records. */
export type NewPendingSignIn = Omit<PendingSignIn, 'tokenHash'>;

/**
 * Pending sign-ins (CONTRACT §5 "Second step"): the single-use `mfaToken` a password login answers instead of a
 * session. Stored as its SHA-256 in the database so any node finishes it; taken by a conditional UPDATE so exactly
 * one request does.
 */
export class PendingSignIns {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly ttlMs: number,
  ) {}

  /** Records the sign-in and answers its `mfaToken`, live `mfa.challengeTtl`. */
  async create(pending: NewPendingSignIn): Promise<string> {
    const token = `${MFA_TOKEN_PREFIX}${this.random.bytes(32).toString('base64url')}`;
    const now = this.clock.now();
    await this.db.insertInto('mfa_pending_sign_ins').values({
      token_hash: sha256(token), account_id: pending.accountId, continuation: pending.continuation, first_factor: pending.firstFactor,
      enroll: pending.enroll ? 1 : 0, failures: 0, expires_at: now + this.ttlMs, used_at: null, created_at: now,
    }).execute();
    return token;
  }

  /** The live, unused sign-in of `token`, or undefined (unknown, spent, expired, or not an `mfaToken` at all). */
  async find(token: string): Promise<PendingSignIn | undefined> {
    if (!token.startsWith(MFA_TOKEN_PREFIX) || token.length > 128) return undefined;
    const row = await this.db.selectFrom('mfa_pending_sign_ins').selectAll()
      .where('token_hash', '=', sha256(token)).where('used_at', 'is', null).where('expires_at', '>', this.clock.now())
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      tokenHash: row.token_hash, accountId: row.account_id, continuation: row.continuation, firstFactor: row.first_factor,
      enroll: row.enroll >= ENROLL, enrolled: enrolledFactorOf(row.enroll),
    };
  }

  /**
   * Notes that the account set up its factor within this sign-in (a hosted page confirmed TOTP with its first code, or
   * registered a passkey with user verification): the sign-in may then be finished without another proof. True when
   * the sign-in was open and waiting to enrol.
   */
  async markEnrolled(pending: PendingSignIn, factor: EnrolledFactor): Promise<boolean> {
    const result = await this.db.updateTable('mfa_pending_sign_ins').set({ enroll: ENROLLED[factor] })
      .where('token_hash', '=', pending.tokenHash).where('enroll', '=', ENROLL).where('used_at', 'is', null).where('expires_at', '>', this.clock.now())
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Spends the sign-in: true for exactly one caller, on any node. */
  async take(pending: PendingSignIn): Promise<boolean> {
    const now = this.clock.now();
    const result = await this.db.updateTable('mfa_pending_sign_ins').set({ used_at: now })
      .where('token_hash', '=', pending.tokenHash).where('used_at', 'is', null).where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Counts a wrong code against the token; the one that reaches the limit spends it. */
  async countFailure(pending: PendingSignIn): Promise<void> {
    const now = this.clock.now();
    await this.db.updateTable('mfa_pending_sign_ins')
      .set((eb) => ({ failures: eb('failures', '+', 1), used_at: eb.case().when('failures', '>=', MAX_FAILURES - 1).then(now).else(null).end() }))
      .where('token_hash', '=', pending.tokenHash).where('used_at', 'is', null)
      .execute();
  }
}

/** The factor an `enroll` column value says was set up within the sign-in, if any. */
function enrolledFactorOf(enroll: number): EnrolledFactor | undefined {
  return (Object.keys(ENROLLED) as EnrolledFactor[]).find((factor) => ENROLLED[factor] === enroll);
}
