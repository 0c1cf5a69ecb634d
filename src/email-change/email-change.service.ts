import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import type { AccountRow, AccountUpdate, DB } from '../db/types.js';
import type { Mailer } from '../email/mailer.js';
import { emailChangeMail, emailChangeNoticeMail } from '../email/templates.js';
import { AppError, invalidField } from '../http/errors.js';
import type { SessionService } from '../sessions/session.service.js';
import { findAccountById, findConflicts, loginKey, updateAccountRow } from '../accounts/account.repository.js';
import type { OneTimeTokens } from '../accounts/one-time-tokens.js';
import type { StepUpGate, StepUpProof } from '../accounts/account.service.js';
import { isUniqueViolation } from '../db/errors.js';

/** How long the old address can undo a change: longer than the change link, so a hijack noticed late can still be reverted. */
export const EMAIL_REVERT_TTL = 7 * 24 * 60 * 60 * 1000;

/** What the e-mail change service needs (a subset of the account service's dependencies). */
export interface EmailChangeDeps {
  db: Kysely<DB>;
  config: Config;
  clock: Clock;
  tokens: OneTimeTokens;
  mailer: Mailer;
  sessions: SessionService;
  audit: AuditLog;
  logError: (error: unknown, message: string) => void;
  /** Step-up of accounts with a second factor (CONTRACT §5). */
  stepUp: StepUpGate;
}

/** The outcome of following an e-mailed `/auth/change-email/{token}` link. */
export type EmailChangeOutcome =
  | { kind: 'changed'; email: string }
  | { kind: 'reverted'; email: string; restored: boolean; sessionsEnded: number };

/**
 * E-mail change with validation (seed 000 "Auth/Change-Email"): the new address gets a link that makes the change,
 * the old one a notice whose link undoes it and ends every session — so a stolen session cannot quietly take
 * over an account by moving its mailbox. Both links are single-use one-time tokens.
 */
export class EmailChangeService {
  constructor(private readonly deps: EmailChangeDeps) {}

  /** Whether an address can still be registered (`GET /auth/email-available`): no account uses it as e-mail or user name. */
  async isAvailable(email: string): Promise<boolean> {
    const key = loginKey(email);
    const taken = await findConflicts(this.deps.db, key, key);
    return !taken.email && !taken.username;
  }

  /**
   * `POST /auth/change-email`: records the pending address and mails both links. A newer request replaces an older
   * pending one (its link stops working); revert links already sent stay valid.
   */
  async request(accountId: string, newEmail: string, proof: StepUpProof = {}): Promise<{ pendingEmail: string }> {
    const account = await findAccountById(this.deps.db, accountId);
    if (!account) throw new AppError('not-found', 'account not found');
    if (await this.deps.stepUp.hasFactor(accountId)) await this.deps.stepUp.assertStepUp(accountId, proof);
    if (account.type !== 'user') throw new AppError('forbidden', 'only user accounts have an e-mail address to change');
    if (account.email_key === loginKey(newEmail)) throw invalidField('email', 'is already the address of this account');
    await this.assertFree(newEmail, account.id);
    const { config, tokens } = this.deps;
    await tokens.revokeAll('email-change', account.id);
    const token = await tokens.create('email-change', account.id, config.signup.confirmationTokenTtl, newEmail);
    const revertToken = account.email ? await tokens.create('email-revert', account.id, EMAIL_REVERT_TTL, account.email) : null;
    await updateAccountRow(this.deps.db, account.id, { pending_email: newEmail });
    const baseUrl = config.server.baseUrl;
    await this.mail(newEmail, emailChangeMail({ baseUrl, token, newEmail }));
    if (account.email && revertToken) await this.mail(account.email, emailChangeNoticeMail({ baseUrl, revertToken, newEmail }));
    return { pendingEmail: newEmail };
  }

  /**
   * Follows an e-mailed link: an `email-change` token makes the change (if the address is still free), an
   * `email-revert` token restores the old address and ends every session of the account. Either voids the account's
   * other outstanding links as OneTimeTokens.voidOutstanding says (revert links survive a change). `invalid-request`
   * naming `token` when it is neither (unknown, expired, used).
   */
  async follow(token: string): Promise<EmailChangeOutcome> {
    const change = await this.deps.tokens.consume('email-change', token);
    if (change) return this.applyChange(change.account_id, change.data!);
    const revert = await this.deps.tokens.consume('email-revert', token);
    if (revert) return this.revert(revert.account_id, revert.data!, revert.created_at);
    throw invalidField('token', 'is invalid, expired or already used');
  }

  private async applyChange(accountId: string, newEmail: string): Promise<EmailChangeOutcome> {
    const account = await this.existing(accountId);
    await this.assertFree(newEmail, account.id);
    // The link proved the new mailbox, so the account counts as confirmed from now on.
    await this.moveEmail(account, newEmail, { pending_email: null, confirmed: 1 });
    await this.deps.tokens.voidOutstanding(account.id, { type: 'email-changed' });
    await this.deps.audit.record('email.changed', { accountId, data: { from: account.email, to: newEmail } });
    return { kind: 'changed', email: newEmail };
  }

  private async revert(accountId: string, oldEmail: string, revertIssuedAt: number): Promise<EmailChangeOutcome> {
    const account = await this.existing(accountId);
    // Also the reset links: one mailed to the address being undone would hand the account straight back (issue 14).
    await this.deps.tokens.voidOutstanding(account.id, { type: 'email-reverted', revertIssuedAt });
    // Someone may have registered the old address since it was freed; the sessions end all the same.
    const restored = account.email_key === loginKey(oldEmail) || (await this.isFreeFor(oldEmail, account.id));
    if (restored) await this.moveEmail(account, oldEmail, { pending_email: null });
    else await updateAccountRow(this.deps.db, account.id, { pending_email: null });
    const sessionsEnded = await this.deps.sessions.revokeAllForAccount(account.id);
    await this.deps.audit.record('email.changed', { accountId, data: { from: account.email, to: restored ? oldEmail : account.email, reverted: true, restored } });
    if (sessionsEnded) await this.deps.audit.record('session.revoked', { accountId, data: { count: sessionsEnded, reason: 'email-change-reverted' } });
    return { kind: 'reverted', email: restored ? oldEmail : (account.email ?? oldEmail), restored, sessionsEnded };
  }

  /** Sets the e-mail; a user name that was the e-mail (the default, CONTRACT §3) follows it, so the old address frees up. */
  private async moveEmail(account: AccountRow, email: string, extra: AccountUpdate): Promise<void> {
    const patch: AccountUpdate = { ...extra, email, email_key: loginKey(email) };
    if (account.email_key !== null && account.username_key === account.email_key) Object.assign(patch, { username: email, username_key: loginKey(email) });
    try {
      await updateAccountRow(this.deps.db, account.id, patch);
    } catch (error) {
      // Two accounts racing for one address: the unique index decides.
      if (isUniqueViolation(error)) throw conflict();
      throw error;
    }
  }

  private async existing(accountId: string): Promise<AccountRow> {
    const account = await findAccountById(this.deps.db, accountId);
    if (!account) throw invalidField('token', 'belongs to an account that no longer exists');
    return account;
  }

  private async assertFree(email: string, ownerId: string): Promise<void> {
    if (!(await this.isFreeFor(email, ownerId))) throw conflict();
  }

  private async isFreeFor(email: string, ownerId: string): Promise<boolean> {
    const key = loginKey(email);
    const rows = await this.deps.db
      .selectFrom('accounts')
      .select('id')
      .where((eb) => eb.or([eb('email_key', '=', key), eb('username_key', '=', key)]))
      .where('id', '!=', ownerId)
      .limit(1)
      .execute();
    return rows.length === 0;
  }

  private async mail(to: string, content: { subject: string; text: string; html: string }): Promise<void> {
    await this.deps.mailer.send({ to, ...content }).catch((error) => this.deps.logError(error, 'e-mail change mail failed'));
  }
}

function conflict(): AppError {
  return new AppError('conflict', 'email: an account with this e-mail already exists', { errors: [{ field: 'email', message: 'is already registered' }] });
}
