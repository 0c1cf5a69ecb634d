import type { Kysely } from 'kysely';
import QRCode from 'qrcode';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock, RandomSource } from '../clock.js';
import type { DB } from '../db/types.js';
import { AppError } from '../http/errors.js';
import type { RecoveryCodes } from './recovery-codes.service.js';
import { assertMayHoldFactor } from './factor-holders.js';
import { SecretBox } from './secret-box.js';
import { matchingStep, newTotpSecret, otpauthUrlOf } from './totp.js';
import { deleteTotp, findTotp, saveUnconfirmedTotp, takeTotpStep } from './totp.repository.js';

/** What TOTP needs: storage, time, randomness, the cluster's server key (to seal secrets) and the issuer label. */
export interface TotpDeps {
  db: Kysely<DB>;
  clock: Clock;
  random: RandomSource;
  serverKey: string;
  issuer: string;
  audit: AuditLog;
  recoveryCodes: RecoveryCodes;
}

/** What enrolment shows once: the secret to type, the URI, and the URI as an SVG QR code. */
export interface TotpSetup {
  secret: string;
  otpauthUrl: string;
  qrSvg: string;
}

/**
 * TOTP as a second factor (RFC 6238, CONTRACT §5): enrol, confirm with the first code, verify, remove. Secrets are
 * sealed at rest; each code is taken once across the cluster by a conditional UPDATE of the last step used.
 */
export class TotpService {
  private readonly box: SecretBox;

  constructor(private readonly deps: TotpDeps) {
    this.box = new SecretBox(deps.serverKey, 'mfa-totp');
  }

  /** A new secret for a person's account, not active until confirmed; refused while an active one exists. */
  async begin(account: { id: string; username: string }): Promise<TotpSetup> {
    await assertMayHoldFactor(this.deps.db, account.id, 'an authenticator app');
    const enrolment = newTotpSecret(this.deps.random, { issuer: this.deps.issuer, account: account.username });
    const saved = await saveUnconfirmedTotp(this.deps.db, account.id, this.box.seal(enrolment.secret, account.id), this.deps.clock.now());
    if (!saved) throw new AppError('conflict', 'TOTP is already set up for this account; remove it first');
    return this.withQrCode(enrolment);
  }

  private async withQrCode(enrolment: { secret: string; otpauthUrl: string }): Promise<TotpSetup> {
    const qrSvg = await QRCode.toString(enrolment.otpauthUrl, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
    return { ...enrolment, qrSvg };
  }

  /** The set-up in progress (begun, not yet confirmed), shown again after a wrong first code; undefined when none. */
  async pendingSetup(account: { id: string; username: string }): Promise<TotpSetup | undefined> {
    const row = await findTotp(this.deps.db, account.id);
    const secret = row && row.confirmed_at === null ? this.box.open(row.secret_box, account.id) : null;
    if (!secret) return undefined;
    return this.withQrCode({ secret, otpauthUrl: otpauthUrlOf(secret, { issuer: this.deps.issuer, account: account.username }) });
  }

  /** Activates the pending secret with its first code and answers the new recovery codes (shown this once). */
  async confirm(accountId: string, code: string): Promise<string[]> {
    const row = await findTotp(this.deps.db, accountId);
    if (!row || row.confirmed_at !== null) throw new AppError('not-found', 'no TOTP set-up in progress; start one with POST /api/auth/mfa/totp');
    if (!(await this.take(accountId, row.secret_box, code, true))) {
      await this.deps.audit.record('mfa.failed', { accountId, data: { method: 'totp', step: 'confirm' } });
      throw new AppError('invalid-mfa-code', 'the code does not match the new secret (check the device clock)');
    }
    await this.deps.audit.record('mfa.enrolled', { accountId, data: { method: 'totp' } });
    return this.deps.recoveryCodes.regenerate(accountId);
  }

  /** True when `code` is a current code of the account's active secret not used before (any node); false otherwise. */
  async verify(accountId: string, code: string): Promise<boolean> {
    const row = await findTotp(this.deps.db, accountId);
    if (!row || row.confirmed_at === null) return false;
    return this.take(accountId, row.secret_box, code, false);
  }

  /** Whether the account has an active TOTP secret. */
  async isActive(accountId: string): Promise<boolean> {
    const row = await findTotp(this.deps.db, accountId);
    return row !== undefined && row.confirmed_at !== null;
  }

  /** Removes the secret (the caller has checked step-up); true when there was one. */
  async remove(accountId: string): Promise<boolean> {
    const removed = await deleteTotp(this.deps.db, accountId);
    if (removed) await this.deps.audit.record('mfa.removed', { accountId, data: { method: 'totp' } });
    return removed;
  }

  private async take(accountId: string, secretBox: string, code: string, confirming: boolean): Promise<boolean> {
    const secret = this.box.open(secretBox, accountId);
    if (secret === null) throw new Error(`TOTP secret of account ${accountId} does not open under this cluster's server key`);
    const now = this.deps.clock.now();
    const step = matchingStep(secret, code, now);
    return step !== null && takeTotpStep(this.deps.db, accountId, step, now, confirming);
  }
}
