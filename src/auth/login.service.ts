import type { Kysely } from 'kysely';
import { findAccountByLogin, findAccountWithRoles, findMemberships, findPasswordHash, loginKey, setLastLogin, storePasswordHash } from '../accounts/account.repository.js';
import type { AccountService } from '../accounts/account.service.js';
import type { AuditLog } from '../audit/audit-log.js';
import { findClient } from '../clients/client.repository.js';
import type { Clock, RandomSource } from '../clock.js';
import type { Config } from '../config/index.js';
import type { AccountRow, DB } from '../db/types.js';
import { rolesOf } from '../accounts/account.view.js';
import { transaction } from '../db/prepared.js';
import { OpaqueTokens } from '../gateway/opaque-tokens.js';
import { AppError, invalidField } from '../http/errors.js';
import type { PasswordHasher } from '../passwords/hasher.js';
import type { Lockout } from '../passwords/lockout.js';
import type { ClientInfo, LoginMethod, SessionService } from '../sessions/session.service.js';
import type { AccessTokens } from '../tokens/access-tokens.js';
import type { RefreshTokens, TokenSession } from '../tokens/refresh-tokens.js';
import { safeEqual } from '../util/hashing.js';

/** Seed 003's OAuthToken, with ISO 8601 dates. */
export interface OAuthToken {
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  refreshTokenExpiresAt?: string;
  scope?: string;
  userId: string;
  clientId?: string;
}

/** A password login attempt. */
export interface PasswordLogin extends ClientInfo {
  login: string;
  password: string;
  clientId?: string;
  scope?: string;
}

/** What the login service needs. */
export interface LoginServiceDeps {
  db: Kysely<DB>;
  config: Config;
  clock: Clock;
  random: RandomSource;
  hasher: PasswordHasher;
  accounts: AccountService;
  sessions: SessionService;
  accessTokens: AccessTokens;
  refreshTokens: RefreshTokens;
  audit: AuditLog;
  lockout: Lockout;
}

/** Turns proofs of identity into sessions and OAuthTokens: password login, refresh, guest, logout. */
export class LoginService {
  /** Opaque access references for `tokens.clientFormat: opaque` (src/gateway/opaque-tokens.ts). */
  private readonly opaque: OpaqueTokens;
  /** Roles by the account row they were read with (a refresh reads both at once); the row is the request's own, so this lives as long as the request. */
  private readonly rolesByRow = new WeakMap<AccountRow, string[]>();

  constructor(private readonly deps: LoginServiceDeps) {
    this.opaque = new OpaqueTokens(deps.db, deps.clock, deps.random);
  }

  /**
   * Authenticator hook for an opaque bearer reference (`gh_at.…`): its live session, or `invalid-token`,
   * `access-token-expired`, `token-revoked` — the same codes as a JWT's.
   */
  async authenticateOpaque(token: string): Promise<{ accountId: string; sessionId: string; kind: 'bearer' }> {
    const { sessionId, accountId } = await this.opaque.resolve(token);
    if (!(await this.deps.sessions.isLive(sessionId))) throw new AppError('token-revoked');
    await this.deps.sessions.touch(sessionId, null);
    return { accountId, sessionId, kind: 'bearer' };
  }

  /** `POST /api/auth/login`: answers the same for unknown accounts and wrong passwords (no enumeration). */
  async passwordLogin(attempt: PasswordLogin): Promise<OAuthToken> {
    if (attempt.clientId !== undefined && !(await findClient(this.deps.db, attempt.clientId))) throw invalidField('clientId', 'is not a registered client');
    const account = await this.verifyPassword(attempt.login, attempt.password, attempt.inetAddress);
    this.assertConfirmed(account);
    return this.startSession(account, 'password', attempt);
  }

  /**
   * The one door every password goes through (API login, cookie, HTTP Basic, hosted pages): password-login control,
   * then lockout, then the check. Returns the account or throws `invalid-credentials`, `login-method-disabled`
   * or `account-locked`. `admin.passwordOverride` replaces the admin's stored password while configured (seed 004).
   */
  async verifyPassword(login: string, password: string, inetAddress: string | null): Promise<AccountRow> {
    const account = await findAccountByLogin(this.deps.db, login);
    this.assertPasswordLoginAllowed(account?.username ?? login);
    const lockKey = account ? `account:${account.id}` : `name:${loginKey(login)}`;
    const guarded = await this.isGuardedByLockout(account);
    const audit = { accountId: account?.id ?? null, loginName: login, inetAddress };
    try {
      if (guarded) await this.deps.lockout.assertNotLocked(lockKey);
      if (!(await this.passwordIsRight(account, password, inetAddress)) || !account) {
        const outcome = guarded ? await this.deps.lockout.fail(lockKey) : 'counted';
        await this.deps.audit.record('login.failed', audit);
        if (outcome === 'locked-now') await this.deps.audit.record('login.locked', { ...audit, data: { started: true } });
        throw new AppError('invalid-credentials', 'wrong login name or password');
      }
    } catch (error) {
      if (error instanceof AppError && error.code === 'account-locked') await this.deps.audit.record('login.locked', audit);
      throw error;
    }
    if (guarded) await this.deps.lockout.succeed(lockKey);
    return account;
  }

  /** `password.login` on / off / whitelist and `password.blacklist`, by user name (seed 004). */
  private assertPasswordLoginAllowed(username: string): void {
    const { login, whitelist, blacklist } = this.deps.config.password;
    const name = loginKey(username);
    const listed = (list: readonly string[]) => list.some((entry) => loginKey(entry) === name);
    if (login === 'off' || (login === 'whitelist' && !listed(whitelist)) || listed(blacklist)) {
      throw new AppError('login-method-disabled', 'password login is disabled for this account');
    }
  }

  private async isGuardedByLockout(account: AccountRow | undefined): Promise<boolean> {
    if (!this.deps.lockout.enabled) return false;
    if (this.deps.config.lockout.admins || !account) return true;
    return !(await this.rolesOf(account)).some((role) => role === 'admin' || role === 'sysadmin');
  }

  /** An unknown account still costs one hash verify, so timing does not tell which names exist. */
  private async passwordIsRight(account: AccountRow | undefined, password: string, inetAddress: string | null): Promise<boolean> {
    const override = this.deps.config.admin.passwordOverride;
    if (account && override !== null && account.username_key === loginKey(this.deps.config.admin.username)) return safeEqual(password, override);
    const storedHash = account?.type === 'user' ? await findPasswordHash(this.deps.db, account.id) : null;
    const valid = await this.deps.accounts.passwordMatches(storedHash, password, inetAddress);
    if (valid && account && storedHash && this.deps.hasher.needsRehash(storedHash)) await this.rehash(account.id, password);
    return valid;
  }

  /** Unconfirmed accounts may not log in with a password unless `signup.alwaysConfirm` (CONTRACT §3). */
  assertConfirmed(account: AccountRow): void {
    if (account.confirmed !== 1 && !this.deps.config.signup.alwaysConfirm) throw new AppError('account-not-confirmed');
  }

  /** Creates a session and its first tokens. */
  async startSession(account: AccountRow, method: LoginMethod, info: ClientInfo & { clientId?: string; scope?: string }): Promise<OAuthToken> {
    const ttl = this.refreshTtl(account.type === 'guest' ? 'guest' : method);
    const now = this.deps.clock.now();
    // The session, its refresh token and the last-login time commit together: one commit (one fsync on PostgreSQL).
    const { session, refreshToken } = await transaction(this.deps.db, async (trx) => {
      const started = await this.deps.sessions.create({
        accountId: account.id,
        method,
        clientId: info.clientId ?? null,
        scope: info.scope ?? null,
        expiresAt: ttl === null ? null : now + ttl,
        inetAddress: info.inetAddress,
        userAgent: info.userAgent,
      }, trx);
      await setLastLogin(trx, account.id, now);
      return { session: started, refreshToken: await this.deps.refreshTokens.issue(started.id, started.expires_at, trx) };
    });
    // The audit log stays outside: a failure to write it must not undo the login (AuditLog never throws).
    await this.auditLogin(account, session.id, method, info.inetAddress);
    return this.oauthToken(account, session.id, refreshToken, session.expires_at, info.clientId, info.scope);
  }

  /**
   * An access token for a registered client (seed 000's hosted login): a session of its own that lasts as long
   * as the token, no refresh token.
   */
  async clientToken(account: AccountRow, clientId: string, info: ClientInfo): Promise<{ token: string; accountId: string; ttlSeconds: number }> {
    const ttl = this.deps.config.tokens.accessTokenTtl;
    const session = await this.deps.sessions.create({
      accountId: account.id, method: 'password', clientId, scope: null, expiresAt: this.deps.clock.now() + ttl, ...info,
    });
    await this.recordLogin(account, session.id, 'password', info.inetAddress);
    const access = await this.clientAccessToken(account, session.id);
    return { token: access.token, accountId: account.id, ttlSeconds: Math.floor(ttl / 1000) };
  }

  /** Notes a successful login on the account and in the audit log. */
  async recordLogin(account: AccountRow, sessionId: string, method: LoginMethod, inetAddress: string | null): Promise<void> {
    await setLastLogin(this.deps.db, account.id, this.deps.clock.now());
    await this.auditLogin(account, sessionId, method, inetAddress);
  }

  private auditLogin(account: AccountRow, sessionId: string, method: LoginMethod, inetAddress: string | null): Promise<void> {
    return this.deps.audit.record('login.succeeded', { accountId: account.id, sessionId, inetAddress, data: { method } });
  }

  /** `POST /api/auth/refresh`: rotates the refresh token and issues a new access token. */
  async refresh(presented: string): Promise<OAuthToken> {
    let session: TokenSession | undefined;
    const rotation = await this.deps.refreshTokens.rotate(presented, {
      sessionTtl: (tokenSession) => {
        session = tokenSession;
        if (!session || session.revoked_at !== null) throw new AppError('token-revoked');
        return this.refreshTtl(session.method === 'guest' ? 'guest' : session.method);
      },
      sessionExtended: (sessionId, expiresAt) => this.deps.sessions.noteExtended(sessionId, expiresAt),
      onReuse: async (sessionId) => {
        await this.deps.sessions.revoke(sessionId);
        await this.deps.audit.record('token.reused', { sessionId });
      },
    });
    // Read once, by the hook above, before the rotation: the session row is not changed by it but for its end.
    if (!session) throw new AppError('token-revoked');
    const found = await findAccountWithRoles(this.deps.db, session.account_id);
    if (!found) throw new AppError('token-revoked');
    const { account, roles } = found;
    this.rolesByRow.set(account, roles);
    return this.oauthToken(account, session.id, rotation.refreshToken, rotation.expiresAt, session.client_id ?? undefined, session.scope ?? undefined);
  }

  /** `POST /api/auth/guest`: a new guest account whose refresh token never expires by default (seed 003). */
  async guest(info: ClientInfo): Promise<OAuthToken> {
    const id = this.deps.random.uuid();
    const account = await this.deps.accounts.createAccount({ username: `guest-${id}`, email: null, type: 'guest', confirmed: true });
    return this.startSession(account, 'guest', info);
  }

  /** Ends a session (logout); revoking twice is harmless. */
  async logout(sessionId: string, accountId: string | null): Promise<void> {
    if (await this.deps.sessions.revoke(sessionId)) await this.deps.audit.record('logout', { sessionId, accountId });
  }

  /** Ends one session on its owner's or an admin's request (`DELETE /auth/tokens`), as a revocation. */
  async endSession(sessionId: string, accountId: string, by: string): Promise<void> {
    if (await this.deps.sessions.revoke(sessionId)) await this.deps.audit.record('session.revoked', { sessionId, accountId, data: { by } });
  }

  private refreshTtl(method: LoginMethod | string): number | null {
    const { tokens } = this.deps.config;
    return method === 'guest' ? tokens.guestRefreshTokenTtl : tokens.refreshTokenTtl;
  }

  private async rehash(accountId: string, password: string): Promise<void> {
    // Parameters changed since this hash was made (or it was imported): upgrade it now that we know the password.
    let upgraded: string;
    try {
      upgraded = await this.deps.hasher.hash(password);
    } catch (error) {
      // A full hashing queue (`overloaded`) must not refuse a right password; the next login upgrades it.
      if (error instanceof AppError && error.code === 'overloaded') return;
      throw error;
    }
    await storePasswordHash(this.deps.db, accountId, upgraded, this.deps.clock.now(), this.deps.random.uuid());
  }

  private async issueAccessToken(account: AccountRow, sessionId: string): Promise<{ token: string; expiresAt: number }> {
    // The token carries roles only (permissions are looked up where they are checked): one query, not a principal's four.
    const roles = rolesOf(account, await this.rolesOf(account));
    return this.deps.accessTokens.issue({ accountId: account.id, email: account.email, roles, sessionId });
  }

  /**
   * The account's roles, read once per account row: a password login needs them for the lockout rule and again for
   * its access token, and both use the row read at the start of the login.
   */
  private async rolesOf(account: AccountRow): Promise<string[]> {
    let roles = this.rolesByRow.get(account);
    if (!roles) {
      roles = (await findMemberships(this.deps.db, account.id)).roles;
      this.rolesByRow.set(account, roles);
    }
    return roles;
  }

  /** The access token a client holds: the JWT, or with `tokens.clientFormat: opaque` (split token) a reference only GET /api/auth/context turns into the JWT. */
  private clientAccessToken(account: AccountRow, sessionId: string): Promise<{ token: string; expiresAt: number }> {
    return this.deps.config.tokens.clientFormat === 'opaque'
      ? this.opaque.issue(sessionId, account.id, this.deps.config.tokens.accessTokenTtl)
      : this.issueAccessToken(account, sessionId);
  }

  private async oauthToken(account: AccountRow, sessionId: string, refreshToken: string, refreshExpiresAt: number | null, clientId?: string, scope?: string): Promise<OAuthToken> {
    const access = await this.clientAccessToken(account, sessionId);
    const token: OAuthToken = {
      accessToken: access.token,
      accessTokenExpiresAt: new Date(access.expiresAt).toISOString(),
      refreshToken,
      userId: account.id,
    };
    if (refreshExpiresAt !== null) token.refreshTokenExpiresAt = new Date(refreshExpiresAt).toISOString();
    if (scope !== undefined) token.scope = scope;
    if (clientId !== undefined) token.clientId = clientId;
    return token;
  }
}
