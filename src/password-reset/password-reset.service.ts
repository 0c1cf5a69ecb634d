import type { Kysely } from 'kysely';
import { findAccountByLogin, loginKey, updateAccountRow } from '../accounts/account.repository.js';
import type { AccountService } from '../accounts/account.service.js';
import type { OneTimeTokens } from '../accounts/one-time-tokens.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config/index.js';
import type { DB } from '../db/types.js';
import type { Mailer } from '../email/mailer.js';
import { formatDurationText, passwordResetMail } from '../email/templates.js';
import { invalidField } from '../http/errors.js';

/** What a password reset needs; the password rules themselves stay with the account service. */
export interface PasswordResetDeps {
  db: Kysely<DB>;
  config: Config;
  tokens: OneTimeTokens;
  mailer: Mailer;
  audit: AuditLog;
  accounts: Pick<AccountService, 'assertPolicy' | 'setPassword'>;
}

/**
 * Password reset by e-mailed link (seed 002 "forgot password"); why a service of its own: the JSON routes and the
 * hosted pages run the same two steps, and neither tells whether an address has an account.
 */
export class PasswordResetService {
  constructor(private readonly deps: PasswordResetDeps) {}

  /**
   * Mails a reset link when the e-mail belongs to an account; silent otherwise (no enumeration). `clientID`: the client
   * whose hosted page asked, kept with the link so the "password changed" page can lead back to it.
   */
  async request(email: string, clientID: string | null = null): Promise<void> {
    const { db, config, tokens, mailer, audit } = this.deps;
    const account = await findAccountByLogin(db, email);
    if (!account || !account.email || account.email_key !== loginKey(email)) return;
    const ttl = config.password.resetTokenTtl;
    await tokens.revokeAll('reset', account.id);
    const token = await tokens.create('reset', account.id, ttl, clientID);
    const content = passwordResetMail({ baseUrl: config.server.baseUrl, token, username: account.username, ttlText: formatDurationText(ttl) });
    await audit.record('password.reset-requested', { accountId: account.id });
    await mailer.send({ to: account.email, ...content });
  }

  /**
   * Sets a new password with a reset token (single use); ends every session. Proving control of the mailbox also confirms it.
   * Answers the client the reset was asked for from, if any.
   */
  async reset(token: string, password: string): Promise<{ clientID: string | null }> {
    const { db, tokens, audit, accounts } = this.deps;
    accounts.assertPolicy(password);
    const used = await tokens.consume('reset', token);
    if (!used) throw invalidField('token', 'is invalid, expired or already used');
    await accounts.setPassword(used.account_id, password);
    await updateAccountRow(db, used.account_id, { confirmed: 1 });
    await audit.record('password.reset', { accountId: used.account_id });
    return { clientID: used.data };
  }
}
