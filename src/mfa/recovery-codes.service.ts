import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock, RandomSource } from '../clock.js';
import type { DB } from '../db/types.js';
import { newRecoveryCodes, recoveryCodeHash } from './recovery-codes.js';
import { deleteRecoveryCodes, recoveryCodesLeft, replaceRecoveryCodes, spendRecoveryCode } from './totp.repository.js';

/** What the recovery codes need; the server key makes their stored HMACs useless without it. */
export interface RecoveryCodeDeps {
  db: Kysely<DB>;
  clock: Clock;
  random: RandomSource;
  serverKey: string;
  audit: AuditLog;
}

/**
 * Ten single-use codes per account (CONTRACT §5), for when the authenticator is lost. Why a class: the routes, the
 * second step and TOTP enrolment share one set of rules (stored as HMACs, spent once across the cluster).
 */
export class RecoveryCodes {
  constructor(private readonly deps: RecoveryCodeDeps) {}

  /** A new set replacing the old one; the codes are returned this once and never stored in the clear. */
  async regenerate(accountId: string): Promise<string[]> {
    const codes = newRecoveryCodes(this.deps.random);
    const hashes = codes.map((code) => recoveryCodeHash(this.deps.serverKey, code));
    await this.deps.db.transaction().execute((trx) => replaceRecoveryCodes(trx, accountId, hashes, this.deps.clock.now()));
    await this.deps.audit.record('mfa.recovery-codes-regenerated', { accountId });
    return codes;
  }

  /** Spends `code` when it is one of the account's unused codes: true for exactly one caller. */
  async spend(accountId: string, code: string): Promise<boolean> {
    if (code.length > 64) return false;
    return spendRecoveryCode(this.deps.db, accountId, recoveryCodeHash(this.deps.serverKey, code), this.deps.clock.now());
  }

  /** Removes the account's codes: without a factor they would open nothing, yet still be counted as left. */
  discard(accountId: string): Promise<void> {
    return deleteRecoveryCodes(this.deps.db, accountId);
  }

  /** How many unused codes the account has. */
  left(accountId: string): Promise<number> {
    return recoveryCodesLeft(this.deps.db, accountId);
  }
}
