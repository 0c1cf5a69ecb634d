import type { Kysely } from 'kysely';
import { findAccountById, findAccountByLogin, loginKey } from '../accounts/account.repository.js';
import type { AccountService } from '../accounts/account.service.js';
import { freeUsername } from '../accounts/usernames.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock, RandomSource } from '../clock.js';
import type { Config } from '../config/index.js';
import type { AccountRow, DB } from '../db/types.js';
import { AppError } from '../http/errors.js';
import type { VerifiedIdentity } from './provider.js';

/** What to do with a person the server does not know yet. */
export interface ProvisioningRule {
  /** Create an account for an unknown person (OAuth/OIDC: `signup.enabled`; SAML/CAS: `userAutoProvisioning`). */
  createAccounts: boolean;
  /**
   * The answer when an unknown person may not get an account: `signup-disabled` where registration is closed,
   * `invalid-credentials` where only known principals may log in (SAML and CAS without auto-provisioning, seed 004).
   */
  unknownPerson: 'signup-disabled' | 'invalid-credentials';
}

/**
 * Turns a verified identity into an account (CONTRACT §5 "Linking"): a known provider subject logs in to its
 * account; a provider-verified e-mail logs in to — and links — the account with that e-mail, however it was
 * created; an unverified one never links, and an account made from it stays unconfirmed.
 */
export class IdentityService {
  constructor(
    private readonly deps: { db: Kysely<DB>; config: Config; clock: Clock; random: RandomSource; accounts: AccountService; audit: AuditLog },
  ) {}

  async resolve(identity: VerifiedIdentity, rule: ProvisioningRule): Promise<AccountRow> {
    const linked = await this.linkedAccount(identity);
    if (linked) return linked;
    // CAS names principals by user name (seed 004): its uid is the account's username, whatever e-mail it also sends.
    const byName = identity.username ? await findAccountByLogin(this.deps.db, identity.username) : undefined;
    if (byName && byName.username_key === loginKey(identity.username!)) {
      await this.link(byName.id, identity);
      return byName;
    }
    const byEmail = identity.email ? await findAccountByLogin(this.deps.db, identity.email) : undefined;
    if (byEmail && byEmail.email_key === loginKey(identity.email!)) {
      if (!identity.emailVerified) throw new AppError('conflict', 'an account uses this e-mail; the provider has not verified it, so it cannot be linked');
      await this.link(byEmail.id, identity);
      return byEmail;
    }
    if (!rule.createAccounts) throw new AppError(rule.unknownPerson, 'no account for this identity, and accounts are not created automatically');
    if (this.deps.config.signup.inviteOnly) throw new AppError('forbidden', 'registration needs an invitation');
    const account = await this.deps.accounts.createAccount({
      username: await this.provisionedUsername(identity),
      email: identity.email,
      type: 'user',
      confirmed: identity.emailVerified,
    });
    await this.link(account.id, identity);
    await this.deps.audit.record('account.registered', { accountId: account.id, data: { provider: identity.provider } });
    return account;
  }

  /**
   * The first of the provider's user name, the e-mail and `<provider>-<subject>` that passes the username rules
   * and is free (a name the IdP picked may look like someone else's); a random one when none does.
   */
  private async provisionedUsername(identity: VerifiedIdentity): Promise<string> {
    const candidates = [identity.username, identity.email, `${identity.provider}-${identity.subject}`.slice(0, 128)];
    for (const candidate of candidates) {
      const name = candidate ? await freeUsername(this.deps.db, candidate, identity.email) : null;
      if (name) return name;
    }
    return `${identity.provider}-${this.deps.random.uuid()}`;
  }

  private async linkedAccount(identity: VerifiedIdentity): Promise<AccountRow | undefined> {
    const credential = await this.deps.db.selectFrom('credentials').select('account_id')
      .where('type', '=', identity.provider).where('external_id', '=', identity.subject).executeTakeFirst();
    return credential ? findAccountById(this.deps.db, credential.account_id) : undefined;
  }

  private async link(accountId: string, identity: VerifiedIdentity): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.db.insertInto('credentials')
      .values({ id: this.deps.random.uuid(), account_id: accountId, type: identity.provider, secret_hash: null, external_id: identity.subject, created_at: now, updated_at: now })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}
