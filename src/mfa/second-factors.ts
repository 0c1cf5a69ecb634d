import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { Kysely } from 'kysely';
import { findAccountWithRoles, findPasswordHash } from '../accounts/account.repository.js';
import type { AccountService, StepUpGate, StepUpProof } from '../accounts/account.service.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config/index.js';
import type { DB } from '../db/types.js';
import { AppError, invalidField } from '../http/errors.js';
import type { AssertionJson } from '../http/proof.schemas.js';
import type { Lockout } from '../passwords/lockout.js';
import type { Passkeys } from './passkeys.service.js';
import type { PendingSignIns } from './pending-sign-ins.js';
import type { RecoveryCodes } from './recovery-codes.service.js';
import type { TotpService } from './totp.service.js';
import { factorsOf } from './totp.repository.js';

/** The ways a second step can be answered (CONTRACT §5). */
export type FactorMethod = 'totp' | 'recovery' | 'webauthn';

/** How a second step is answered: a code of TOTP or a recovery code, or a passkey's assertion. */
export type FactorAnswer =
  | { method: 'totp' | 'recovery'; code: string }
  | { method: 'webauthn'; credential: AuthenticationResponseJSON }
  /**
   * A hosted page set up TOTP or a passkey within this very sign-in (PendingSignIns.markEnrolled): TOTP's first code,
   * or the passkey's registration with user verification, was the proof.
   */
  | { method: 'enrolled' };

/** RFC 8176 `amr` of each method: a TOTP or recovery code is a one-time password; a passkey a hardware-bound key. */
const AMR_OF: Record<FactorMethod, string> = { totp: 'otp', recovery: 'otp', webauthn: 'hwk' };

/** An account's second-factor state, as `GET /api/auth/mfa` shows it. */
export interface FactorSummary {
  totp: boolean;
  passkeys: number;
  recoveryCodesLeft: number;
  required: boolean;
}

/** What the second factors need: their stores, the password check and the lockout step-up failures count toward. */
export interface SecondFactorDeps {
  db: Kysely<DB>;
  config: Config;
  totp: TotpService;
  recoveryCodes: RecoveryCodes;
  passkeys: Passkeys;
  pending: PendingSignIns;
  accounts: Pick<AccountService, 'passwordMatches'>;
  lockout: Pick<Lockout, 'enabled' | 'assertNotLocked' | 'fail'>;
  audit: Pick<AuditLog, 'record'>;
}

/**
 * The account's second factors as one thing: which it has, whether `mfa.requiredFor` demands one, checking a code,
 * and step-up. Why one class: the sign-in pipeline's second step, the enrolment routes and step-up must agree on
 * what "has a second factor" means.
 */
export class SecondFactors implements StepUpGate {
  constructor(private readonly deps: SecondFactorDeps) {}

  get pending(): PendingSignIns {
    return this.deps.pending;
  }

  get passkeys(): Passkeys {
    return this.deps.passkeys;
  }

  /** The methods the account can answer a second step with; empty when it has no factor it can use. */
  async methodsOf(accountId: string): Promise<FactorMethod[]> {
    return (await this.stateOf(accountId)).methods;
  }

  /**
   * The methods, and whether the account has a second factor at all. They differ for an account whose only factor is
   * a passkey disabled for a counter that went backwards (a cloned authenticator) with no recovery code left: it
   * still has a factor — disabling one must not turn the password alone back into a way in — but none to use.
   */
  async stateOf(accountId: string): Promise<{ methods: FactorMethod[]; hasFactor: boolean }> {
    const has = await factorsOf(this.deps.db, accountId);
    const totp = this.deps.config.mfa.totp.enabled && has.totp;
    const webauthn = this.deps.passkeys.enabled && has.passkey;
    const hasFactor = totp || webauthn || (this.deps.passkeys.enabled && has.disabledPasskey);
    const methods: FactorMethod[] = [];
    if (totp) methods.push('totp');
    if (hasFactor && (await this.deps.recoveryCodes.left(accountId)) > 0) methods.push('recovery');
    if (webauthn) methods.push('webauthn');
    return { methods, hasFactor };
  }

  /** Whether `mfa.requiredFor` (role names, or `all`) covers an account whose roles `rolesOf` looks up. */
  async requiredFor(rolesOf: () => Promise<readonly string[]>): Promise<boolean> {
    const required = this.deps.config.mfa.requiredFor;
    // Asked at every sign-in of an account without a factor: the roles are looked up only when the list names some.
    if (required.length === 0) return false;
    if (required.includes('all')) return true;
    return (await rolesOf()).some((role) => required.includes(role));
  }

  /** True when `code` answers `method` for the account (a TOTP code once across the cluster; a recovery code spent). */
  async verify(accountId: string, method: FactorMethod, code: string): Promise<boolean> {
    if (method === 'totp') return this.deps.config.mfa.totp.enabled && this.deps.totp.verify(accountId, code);
    if (method === 'recovery') return (await this.methodsOf(accountId)).includes('recovery') && this.deps.recoveryCodes.spend(accountId, code);
    return false;
  }

  /** True when the answer is right for the account: a code as `verify`, or an assertion of one of its passkeys. */
  async verifyAnswer(accountId: string, answer: Exclude<FactorAnswer, { method: 'enrolled' }>, inetAddress: string | null): Promise<boolean> {
    if (answer.method !== 'webauthn') return this.verify(accountId, answer.method, answer.code);
    if (!this.deps.passkeys.enabled) return false;
    return (await this.deps.passkeys.verifyAssertion(answer.credential, { purpose: 'second-step', accountId, inetAddress })).ok;
  }

  /** The `amr` values a sign-in that passed `method` after `firstFactor` carries (RFC 8176). */
  amrAfter(firstFactor: string, method: FactorMethod): string[] {
    return [...new Set([firstFactor, AMR_OF[method], 'mfa'])];
  }

  /** Turns TOTP off (the caller checked step-up); the recovery codes go with the last factor. False: there was none. */
  async removeTotp(accountId: string): Promise<boolean> {
    if (!(await this.deps.totp.remove(accountId))) return false;
    if (!(await this.hasFactor(accountId))) await this.deps.recoveryCodes.discard(accountId);
    return true;
  }

  /** Removes one passkey (the caller checked step-up); the recovery codes go with the last factor. */
  async removePasskey(accountId: string, id: string): Promise<void> {
    await this.deps.passkeys.remove(accountId, id);
    if (!(await this.hasFactor(accountId))) await this.deps.recoveryCodes.discard(accountId);
  }

  /** Removes every factor of the account: TOTP, recovery codes, passkeys (an administrator's reset). */
  async removeAll(accountId: string): Promise<void> {
    await this.deps.totp.remove(accountId);
    await this.deps.recoveryCodes.discard(accountId);
    await this.deps.db.deleteFrom('passkeys').where('account_id', '=', accountId).execute();
  }

  /** `GET /api/auth/mfa`. */
  async summary(accountId: string): Promise<FactorSummary> {
    const found = await findAccountWithRoles(this.deps.db, accountId);
    return {
      totp: await this.deps.totp.isActive(accountId),
      passkeys: await this.deps.passkeys.enabledCount(accountId),
      recoveryCodesLeft: await this.deps.recoveryCodes.left(accountId),
      required: await this.requiredFor(async () => found?.roles ?? []),
    };
  }

  /**
   * Step-up (CONTRACT §5): turning a factor off, new recovery codes and the like need the current password, a code of
   * a factor the account has, or an assertion of one of its passkeys on a step-up challenge. Throws `invalid-mfa-code`
   * / `invalid-credentials` when the proof is wrong. Wrong proofs — a refused passkey too — count toward the account's
   * lockout as at sign-in: a stolen session must not buy unlimited guesses.
   */
  async assertStepUp(accountId: string, proof: StepUpProof): Promise<void> {
    const lock = await this.lockKeyOf(accountId);
    if (lock) await this.deps.lockout.assertNotLocked(lock);
    try {
      await this.checkStepUp(accountId, proof);
    } catch (error) {
      if (error instanceof AppError && (error.code === 'invalid-mfa-code' || error.code === 'invalid-credentials')) await this.refused(accountId, proof, lock);
      throw error;
    }
  }

  /**
   * A wrong step-up proof: audited as `mfa.failed` (step `step-up`) with where it came from, and counted toward the
   * lockout — whose start is audited as at sign-in (`login.locked`), so that a lock never appears without its cause.
   */
  private async refused(accountId: string, proof: StepUpProof, lock: string | null): Promise<void> {
    const method = proof.credential !== undefined ? 'webauthn' : proof.code !== undefined ? 'code' : 'password';
    const where = { accountId, inetAddress: proof.inetAddress ?? null };
    await this.deps.audit.record('mfa.failed', { ...where, data: { method, step: 'step-up' } });
    if (lock && (await this.deps.lockout.fail(lock)) === 'locked-now') await this.deps.audit.record('login.locked', { ...where, data: { started: true, stepUp: true } });
  }

  private async checkStepUp(accountId: string, proof: StepUpProof): Promise<void> {
    if (proof.credential !== undefined) return this.checkPasskeyProof(accountId, proof.credential, proof.inetAddress ?? null);
    if (proof.code !== undefined) {
      if (await this.anyCodeMatches(accountId, proof.code)) return;
      throw new AppError('invalid-mfa-code', 'code: is not a current code of this account\'s authenticator or one of its recovery codes');
    }
    if (proof.password === undefined) throw invalidField('password', 'the current password (or a second-factor code in `code`, or a passkey in `credential`) is required');
    if (!(await this.deps.accounts.passwordMatches(await findPasswordHash(this.deps.db, accountId), proof.password))) {
      throw new AppError('invalid-credentials', 'password: is not the current password');
    }
  }

  /**
   * A passkey as step-up proof: an assertion of one of the account's own passkeys, on a challenge issued for step-up
   * to this account (a login's or a second step's challenge does not answer it). A refusal is audited by Passkeys
   * (`mfa.passkey-refused`, purpose `step-up`) and answered like a wrong code.
   */
  private async checkPasskeyProof(accountId: string, credential: AssertionJson, inetAddress: string | null): Promise<void> {
    if (!this.deps.passkeys.enabled) throw invalidField('credential', 'passkeys are disabled on this server (mfa.webauthn.enabled)');
    const outcome = await this.deps.passkeys.verifyAssertion(credential as AuthenticationResponseJSON, { purpose: 'step-up', accountId, inetAddress });
    if (!outcome.ok) throw new AppError('invalid-mfa-code', `credential: the passkey was refused: ${outcome.message}`);
  }

  /** Whether the account has a second factor (step-up of password and e-mail changes and deletion depends on it). */
  async hasFactor(accountId: string): Promise<boolean> {
    return (await this.stateOf(accountId)).hasFactor;
  }

  /** The sign-in lockout's key of the account, or null when lockout does not guard it (off, or an admin without `lockout.admins`). */
  private async lockKeyOf(accountId: string): Promise<string | null> {
    if (!this.deps.lockout.enabled) return null;
    if (!this.deps.config.lockout.admins) {
      const roles = (await findAccountWithRoles(this.deps.db, accountId))?.roles ?? [];
      if (roles.some((role) => role === 'admin' || role === 'sysadmin')) return null;
    }
    return `account:${accountId}`;
  }

  private async anyCodeMatches(accountId: string, code: string): Promise<boolean> {
    const methods = await this.methodsOf(accountId);
    for (const method of methods) if (await this.verify(accountId, method, code)) return true;
    return false;
  }
}
