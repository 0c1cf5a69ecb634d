import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock, RandomSource } from '../clock.js';
import type { Config } from '../config/index.js';
import type { AccountRow, DB } from '../db/types.js';
import type { Mailer } from '../email/mailer.js';
import { confirmationMail } from '../email/templates.js';
import { AppError, invalidField } from '../http/errors.js';
import type { AssertionJson } from '../http/proof.schemas.js';
import type { PasswordHasher } from '../passwords/hasher.js';
import { MAX_PASSWORD_LENGTH, type PolicyViolation } from '../passwords/policy.js';
import { isPermitted, rolePermissions, type BuiltinRole } from '../permissions/wildcard.js';
import { assertMayManage } from '../permissions/rank.js';
import type { ProfileCache } from './profile-cache.js';
import type { SessionService } from '../sessions/session.service.js';
import { safeEqual } from '../util/hashing.js';
import { InviteService } from '../invites/invite.service.js';
import {
  countRoleMembers, ensureBuiltinGroups, findAccountById, findAccountByLogin, findConflicts, findGroupPermissions, findMemberships,
  findOwnPermissions, findPasswordHash, insertAccount, loginKey, setRoles, storePasswordHash, updateAccountRow,
} from './account.repository.js';
import type { OneTimeTokens, TokenVoidingEvent } from './one-time-tokens.js';
import { acceptableUsername } from './usernames.js';
import { accountViews, rolesOf, type AccountView } from './account.view.js';
import { isUniqueViolation } from '../db/errors.js';
import type { Principal } from '../permissions/principal.js';

export type { AccountView } from './account.view.js';

/** Registration input shared by every registration endpoint. */
export interface Registration {
  username?: string;
  email: string;
  password: string;
  confirmationKey?: string;
}

/** Fields an administrator may set on any account (`PUT /api/auth/admin/account`). */
export interface AdminAccountUpdate {
  id?: string;
  username?: string;
  email?: string;
  password?: string;
  confirmed?: boolean;
  roles?: string[];
}

/** What the account service needs; injected so tests can swap the clock and the mailer. */
export interface AccountServiceDeps {
  db: Kysely<DB>;
  config: Config;
  clock: Clock;
  random: RandomSource;
  hasher: PasswordHasher;
  checkPolicy: (password: string) => PolicyViolation[];
  tokens: OneTimeTokens;
  mailer: Mailer;
  sessions: SessionService;
  profiles: ProfileCache;
  audit: AuditLog;
  logError: (error: unknown, message: string) => void;
  /** Step-up of accounts with a second factor (mfa/second-factors.ts); mfa/ sits above accounts/, so it is passed in. */
  stepUp: StepUpGate;
}

/** What proves the person for a sensitive change: the current password, a code of a second factor, or a passkey's assertion. */
export interface StepUpProof {
  password?: string | undefined;
  code?: string | undefined;
  /** An assertion of one of the account's passkeys, on a step-up challenge (`POST /api/auth/passkeys/step-up/options`). */
  credential?: AssertionJson | undefined;
  /** Where the request came from: the audit of a refused proof names it. */
  inetAddress?: string | null | undefined;
}

/** A password change of one's own: the new password and what proves the person. */
export interface OwnPasswordChange {
  password: string;
  currentPassword?: string | undefined;
  code?: string | undefined;
  credential?: AssertionJson | undefined;
  inetAddress?: string | null | undefined;
}

/** Step-up (CONTRACT §5): whether an account has a second factor, and checking a password, code or passkey proof. */
export interface StepUpGate {
  hasFactor(accountId: string): Promise<boolean>;
  /** Throws `invalid-credentials` / `invalid-mfa-code` unless the proof holds, `invalid-request` when it is empty. */
  assertStepUp(accountId: string, proof: StepUpProof): Promise<void>;
}

/** Account rules: registration, confirmation, password changes, roles (resets: password-reset/). Knows nothing of HTTP. */
export class AccountService {
  constructor(private readonly deps: AccountServiceDeps) {}

  /**
   * Creates a user account with a password; confirmed at once with `signup.alwaysConfirm` or the confirmation key (seed 002).
   * `clientID`: the registered client a hosted registration was for, kept with the confirmation link (see confirmLink).
   */
  async register(input: Registration & { invite?: string | undefined; clientID?: string }): Promise<AccountView> {
    const { config } = this.deps;
    if (!config.signup.enabled) throw new AppError('signup-disabled');
    // signup.inviteOnly: the invite is checked first (without one, not even a 409 tells who is registered), claimed
    // only after every other check, and released if the account cannot be created — a failure never burns it.
    const invites = config.signup.inviteOnly ? new InviteService(this.deps) : null;
    await invites?.assertUsable(input.invite);
    this.assertPolicy(input.password);
    const username = await acceptableUsername(this.deps.db, input.username, input.email);
    const conflicts = await findConflicts(this.deps.db, loginKey(username), loginKey(input.email));
    if (conflicts.email) throw new AppError('conflict', 'email: an account with this e-mail already exists', { errors: [{ field: 'email', message: 'is already registered' }] });
    if (conflicts.username) throw new AppError('conflict', 'username: this username is taken', { errors: [{ field: 'username', message: 'is taken' }] });
    const confirmed = config.signup.alwaysConfirm || this.matchesConfirmationKey(input.confirmationKey);
    const passwordHash = await this.deps.hasher.hash(input.password);
    const inviteId = invites ? await invites.claim(input.invite!) : null;
    let account: AccountRow;
    try {
      account = await this.createAccount({ username, email: input.email, type: 'user', confirmed });
    } catch (error) {
      if (inviteId !== null) await invites!.release(inviteId);
      throw error;
    }
    if (inviteId !== null) await invites!.bind(inviteId, account.id);
    await storePasswordHash(this.deps.db, account.id, passwordHash, this.deps.clock.now(), this.deps.random.uuid());
    await this.deps.audit.record('account.registered', { accountId: account.id, loginName: username });
    if (!confirmed) await this.sendConfirmation(account, input.clientID ?? null);
    return this.view(account.id);
  }

  /** Creates an account row of any type (guests and API keys have no e-mail and no password). */
  async createAccount(input: { username: string; email: string | null; type: AccountRow['type']; confirmed: boolean }): Promise<AccountRow> {
    const row: AccountRow = {
      id: this.deps.random.uuid(),
      username: input.username,
      username_key: loginKey(input.username),
      email: input.email,
      email_key: input.email ? loginKey(input.email) : null,
      pending_email: null,
      type: input.type,
      confirmed: input.confirmed ? 1 : 0,
      language: null,
      created_at: this.deps.clock.now(),
      last_login_at: null,
    };
    try {
      await insertAccount(this.deps.db, row);
    } catch (error) {
      // Two registrations of the same name can both pass the conflict check; the unique index decides.
      if (isUniqueViolation(error)) throw new AppError('conflict', 'username or email: already registered');
      throw error;
    }
    return row;
  }

  /** Mails a confirmation link valid for `signup.confirmationTokenTtl`; the link remembers the client it was asked for from. */
  async sendConfirmation(account: AccountRow, clientID: string | null = null): Promise<void> {
    if (!account.email) return;
    const token = await this.deps.tokens.create('confirm', account.id, this.deps.config.signup.confirmationTokenTtl, clientID);
    const content = confirmationMail({ baseUrl: this.deps.config.server.baseUrl, token, username: account.username });
    await this.deps.mailer.send({ to: account.email, ...content }).catch((error) => this.deps.logError(error, 'confirmation mail failed'));
  }

  /**
   * Mails a new confirmation link to an unconfirmed account with this e-mail address (CONTRACT §5), for a person
   * whose link expired or got lost; anything else — unknown, confirmed, a username — does nothing, so the caller's
   * answer reveals nothing.
   */
  async resendConfirmation(email: string, clientID: string | null = null): Promise<void> {
    const account = await findAccountByLogin(this.deps.db, email);
    if (!account || account.confirmed === 1 || account.type !== 'user' || account.email_key !== loginKey(email)) return;
    await this.sendConfirmation(account, clientID);
  }

  /** Confirms the account a confirmation token was mailed for. */
  async confirm(token: string): Promise<AccountView> {
    return this.view((await this.confirmLink(token)).account.id);
  }

  /**
   * Confirms by link and tells the hosted confirmation page what it needs beyond that: the client the registration
   * (or the resend) was for, and whether this link is what confirmed the account — with
   * `signup.tokenBeforeConfirmation: false` only that first confirmation delivers a token (sign-in/confirmation-page.routes.ts).
   */
  async confirmLink(token: string): Promise<{ account: AccountRow; clientID: string | null; firstConfirmation: boolean }> {
    const used = await this.deps.tokens.consume('confirm', token);
    if (!used) throw invalidField('token', 'is invalid, expired or already used');
    const before = await findAccountById(this.deps.db, used.account_id);
    if (!before) throw invalidField('token', 'is invalid, expired or already used');
    await updateAccountRow(this.deps.db, used.account_id, { confirmed: 1 });
    await this.deps.audit.record('account.confirmed', { accountId: used.account_id });
    return { account: { ...before, confirmed: 1 }, clientID: used.data, firstConfirmation: before.confirmed !== 1 };
  }

  /** Whether the account with this login name is confirmed; unknown names answer `false` so nothing is revealed. */
  async isConfirmed(login: string): Promise<boolean> {
    const account = await findAccountByLogin(this.deps.db, login);
    return account?.confirmed === 1;
  }

  /** An account's user name, fresh from the database (a cached profile may lag a change); null when it is gone. */
  async usernameOf(accountId: string): Promise<string | null> {
    return (await findAccountById(this.deps.db, accountId))?.username ?? null;
  }

  /** The stored account; why: the sign-in pipeline's new-account proof starts a session for the row it just created. */
  async row(accountId: string): Promise<AccountRow | undefined> {
    return findAccountById(this.deps.db, accountId);
  }

  /** The public view of an account; `not-found` when it does not exist. */
  async view(accountId: string): Promise<AccountView> {
    const row = await findAccountById(this.deps.db, accountId);
    if (!row) throw new AppError('not-found', 'account not found');
    return (await accountViews(this.deps.db, [row]))[0]!;
  }

  /** Roles and effective permissions (own + groups' + roles'), for authorization. */
  async principal(accountId: string, sessionId: string): Promise<Principal> {
    const row = await findAccountById(this.deps.db, accountId);
    if (!row) throw new AppError('invalid-token', 'the account no longer exists');
    const [memberships, own, fromGroups] = await Promise.all([
      findMemberships(this.deps.db, accountId),
      findOwnPermissions(this.deps.db, accountId),
      findGroupPermissions(this.deps.db, accountId),
    ]);
    const roles = rolesOf(row, memberships.roles);
    const fromRoles = roles.flatMap((role) => rolePermissions[role] ?? []);
    return { accountId, sessionId, roles, permissions: [...new Set([...own, ...fromGroups, ...fromRoles])] };
  }

  /** Throws `forbidden` unless the principal holds the permission. */
  requirePermission(principal: Principal, permission: string): void {
    if (!isPermitted(principal.permissions, permission)) throw new AppError('forbidden', `requires permission ${permission}`);
  }

  /**
   * Changes one's own password (seed 004): `currentPassword` is required while `password.requireCurrentPassword` is on;
   * every other session of the account ends, the current one stays — unless `keepSession` is false, for a session
   * that is bound to the old password itself (HTTP Basic).
   */
  async changeOwnPassword(principal: Principal, input: OwnPasswordChange, keepSession = true): Promise<void> {
    const keep = keepSession ? principal.sessionId : undefined;
    const { currentPassword, code, credential, inetAddress } = input;
    if (await this.deps.stepUp.hasFactor(principal.accountId)) {
      // With a second factor the change always needs step-up: the current password, a code or a passkey (CONTRACT §5).
      if (currentPassword === undefined && code === undefined && credential === undefined) {
        throw invalidField('currentPassword', 'the current password (or a second-factor code in code, or a passkey in credential) is required');
      }
      await this.deps.stepUp.assertStepUp(principal.accountId, { password: currentPassword, code, credential, inetAddress });
      return this.setPassword(principal.accountId, input.password, keep);
    }
    if (code !== undefined) throw invalidField('code', 'this account has no second factor: prove it is you with currentPassword');
    if (credential !== undefined) throw invalidField('credential', 'this account has no second factor: prove it is you with currentPassword');
    const storedHash = await findPasswordHash(this.deps.db, principal.accountId);
    const mustProve = this.deps.config.password.requireCurrentPassword && storedHash !== null;
    if (mustProve && input.currentPassword === undefined) throw invalidField('currentPassword', 'is required to change your password');
    if (input.currentPassword !== undefined && !(await this.passwordMatches(storedHash, input.currentPassword))) {
      throw new AppError('invalid-credentials', 'currentPassword is wrong');
    }
    await this.setPassword(principal.accountId, input.password, keep);
  }

  /**
   * `PUT /accounts/{id}` (seed 004): one's own password needs `currentPassword` (with `password.requireCurrentPassword`),
   * an admin — holder of `accounts:write` — changes another's without it; the current session survives a change of one's own.
   */
  async update(
    actor: Principal,
    accountId: string,
    input: Partial<OwnPasswordChange> & { language?: string | null },
    keepSession = true,
  ): Promise<AccountView> {
    const own = accountId === actor.accountId;
    if (!own) this.requirePermission(actor, 'accounts:write');
    if (!(await findAccountById(this.deps.db, accountId))) throw new AppError('not-found', 'account not found');
    await assertMayManage(this, actor, accountId);
    if (input.password !== undefined) {
      if (own) await this.changeOwnPassword(actor, { ...input, password: input.password }, keepSession);
      else await this.setPassword(accountId, input.password);
    }
    if (input.language !== undefined) {
      await updateAccountRow(this.deps.db, accountId, { language: input.language });
      await this.deps.profiles.changed(accountId);
    }
    return this.view(accountId);
  }

  /** Sets a password after the policy check and ends the account's other sessions. */
  async setPassword(accountId: string, password: string, keepSession?: string): Promise<void> {
    this.assertPolicy(password);
    await storePasswordHash(this.deps.db, accountId, await this.deps.hasher.hash(password), this.deps.clock.now(), this.deps.random.uuid());
    await this.deps.tokens.voidOutstanding(accountId, { type: 'password-changed' });
    const ended = await this.deps.sessions.revokeAllForAccount(accountId, keepSession);
    await this.deps.audit.record('password.changed', { accountId, sessionId: keepSession ?? null });
    if (ended) await this.deps.audit.record('session.revoked', { accountId, data: { count: ended, reason: 'password-changed' } });
  }

  /** Voids an account's outstanding e-mailed links after an event (OneTimeTokens.voidOutstanding); for the admin service, which has no token store. */
  async voidOneTimeTokens(accountId: string, event: TokenVoidingEvent): Promise<void> {
    await this.deps.tokens.voidOutstanding(accountId, event);
  }

  /**
   * `PUT /api/auth/admin/account`: needs `accounts:write` and a rank at or above the account's (CONTRACT §3);
   * granting or removing a role needs that role.
   * Every check runs before the first write, so a refused request changes nothing.
   */
  async adminUpdate(actor: Principal, input: AdminAccountUpdate): Promise<AccountView> {
    this.requirePermission(actor, 'accounts:write');
    const target = input.id ? await findAccountById(this.deps.db, input.id) : await findAccountByLogin(this.deps.db, input.username!);
    if (!target) throw new AppError('not-found', 'account not found');
    await assertMayManage(this, actor, target.id);
    if (input.password !== undefined) {
      // An admin changing its own password must prove it (seed 004) — that path is `PUT /api/auth/account`.
      if (target.id === actor.accountId) throw invalidField('password', 'change your own password with PUT /api/auth/account and currentPassword');
      this.assertPolicy(input.password);
    }
    if (input.email !== undefined) await this.assertEmailFree(input.email, target.id);
    if (input.roles !== undefined) await this.changeRoles(actor, target, input.roles);
    const patch: Partial<AccountRow> = {};
    if (input.email !== undefined) Object.assign(patch, { email: input.email, email_key: loginKey(input.email), pending_email: null });
    if (input.confirmed !== undefined) patch.confirmed = input.confirmed ? 1 : 0;
    if (Object.keys(patch).length) await updateAccountRow(this.deps.db, target.id, patch);
    if (input.email !== undefined) await this.voidOneTimeTokens(target.id, { type: 'email-changed' });
    if (input.password !== undefined) await this.setPassword(target.id, input.password);
    await this.deps.audit.record('account.updated', { accountId: target.id, data: { by: actor.accountId, fields: Object.keys(input).filter((k) => k !== 'password') } });
    return this.view(target.id);
  }

  /** Creates the admin on the very first start (CONTRACT §2 "Admin bootstrap"). */
  async bootstrapAdmin(): Promise<void> {
    const { admin } = this.deps.config;
    await ensureBuiltinGroups(this.deps.db, this.deps.clock.now());
    if (await findAccountByLogin(this.deps.db, admin.username)) return;
    const account = await this.createAccount({ username: admin.username, email: admin.email, type: 'user', confirmed: true });
    await setRoles(this.deps.db, account.id, ['sysadmin']);
    if (admin.initialPassword) {
      // Seed 004: at least eight characters, no other rule for the bootstrap password.
      await storePasswordHash(this.deps.db, account.id, await this.deps.hasher.hash(admin.initialPassword), this.deps.clock.now(), this.deps.random.uuid());
    }
    await this.deps.audit.record('admin.bootstrapped', { accountId: account.id, data: { withPassword: admin.initialPassword !== null } });
  }

  /**
   * Verifies a password against a stored hash; a missing hash still costs one verify (no timing oracle). `inetAddress`
   * is whose check it is, so a flood from one address cannot take every place in the hashing queue.
   */
  async passwordMatches(storedHash: string | null, password: string, inetAddress?: string | null): Promise<boolean> {
    if (storedHash === null || password.length > MAX_PASSWORD_LENGTH) {
      await this.deps.hasher.verifyDummy(password.slice(0, MAX_PASSWORD_LENGTH), inetAddress);
      return false;
    }
    return this.deps.hasher.verify(storedHash, password, inetAddress);
  }

  /** Throws `password-policy` listing every unmet rule (CONTRACT §4). */
  assertPolicy(password: string): void {
    const violations = this.deps.checkPolicy(password);
    if (violations.length) {
      throw new AppError('password-policy', `password ${violations.map((v) => v.message).join('; ')}`, {
        errors: violations.map((v) => ({ field: 'password', message: v.message, rule: v.rule })),
      });
    }
  }

  private matchesConfirmationKey(key: string | undefined): boolean {
    const expected = this.deps.config.signup.confirmationKey;
    return key !== undefined && expected !== null && safeEqual(key, expected);
  }

  private async assertEmailFree(email: string, ownerId: string): Promise<void> {
    const existing = await findAccountByLogin(this.deps.db, email);
    if (existing && existing.id !== ownerId) throw new AppError('conflict', 'email: already registered', { errors: [{ field: 'email', message: 'is already registered' }] });
  }

  private async changeRoles(actor: Principal, target: AccountRow, requested: string[]): Promise<void> {
    const wanted = [...new Set(requested.filter((role) => role !== 'user'))];
    const unknown = wanted.filter((role) => role !== 'admin' && role !== 'sysadmin');
    if (unknown.length) throw invalidField('roles', `unknown role ${unknown.join(', ')}; roles are user, admin, sysadmin`);
    const current = (await findMemberships(this.deps.db, target.id)).roles;
    const changed = [...wanted.filter((r) => !current.includes(r)), ...current.filter((r) => !wanted.includes(r))];
    // No privilege escalation: only a holder of a role may hand it out or take it away.
    const missing = changed.filter((role) => !actor.roles.includes(role) && !actor.roles.includes('sysadmin'));
    if (missing.length) throw new AppError('forbidden', `changing role ${missing.join(', ')} requires holding it`);
    // As `DELETE /groups/sysadmin/accounts/{id}` already refuses: the server never loses its last administrator.
    if (changed.includes('sysadmin') && !wanted.includes('sysadmin') && (await countRoleMembers(this.deps.db, 'sysadmin')) <= 1) {
      throw new AppError('conflict', 'roles: would leave no sysadmin', { errors: [{ field: 'roles', message: 'would leave no sysadmin' }] });
    }
    await setRoles(this.deps.db, target.id, wanted as BuiltinRole[]);
  }
}
