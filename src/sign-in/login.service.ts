import type { Kysely } from 'kysely';
import { findAccountWithRoles } from '../accounts/account.repository.js';
import type { AccountService } from '../accounts/account.service.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { RandomSource } from '../clock.js';
import type { Config } from '../config/index.js';
import type { DB } from '../db/types.js';
import { AppError } from '../http/errors.js';
import { amrOf, type ClientInfo, type LoginMethod, type SessionService } from '../sessions/session.service.js';
import type { RefreshTokens, TokenSession } from '../tokens/refresh-tokens.js';
import type { AccountRoles } from './account-roles.js';
import type { SignIn } from './pipeline.js';
import type { OAuthToken, TokenIssuer } from './token-issuer.js';

export type { OAuthToken } from './token-issuer.js';

/** A password login attempt of `POST /api/auth/login`. */
export interface PasswordLogin extends ClientInfo {
  login: string;
  password: string;
  clientId?: string | undefined;
  scope?: string | undefined;
}

/** What the login service needs. */
export interface LoginServiceDeps {
  db: Kysely<DB>;
  config: Config;
  random: RandomSource;
  accounts: AccountService;
  sessions: SessionService;
  refreshTokens: RefreshTokens;
  audit: AuditLog;
  roles: AccountRoles;
  issuer: TokenIssuer;
  signIn: SignIn;
}

/**
 * The token sessions of `/api/auth/*` (seed 003): password login and guest through the sign-in pipeline, then refresh
 * and logout. Why a class of its own: these are the JSON API's verbs; the rules they share live in the pipeline.
 */
export class LoginService {
  constructor(private readonly deps: LoginServiceDeps) {}

  /** `POST /api/auth/login`: answers the same for unknown accounts and wrong passwords (no enumeration). */
  async passwordLogin(attempt: PasswordLogin): Promise<OAuthToken> {
    const { login, password, clientId, scope, inetAddress, userAgent } = attempt;
    const signedIn = await this.deps.signIn.run({
      proof: { kind: 'password', login, password },
      plan: { kind: 'token', method: 'password', clientId, scope },
      info: { inetAddress, userAgent },
    });
    return signedIn.handover.token;
  }

  /** `POST /api/auth/guest`: a new guest account whose refresh token never expires by default (seed 003). */
  async guest(info: ClientInfo): Promise<OAuthToken> {
    const create = () => this.deps.accounts.createAccount({ username: `guest-${this.deps.random.uuid()}`, email: null, type: 'guest', confirmed: true });
    const signedIn = await this.deps.signIn.run({ proof: { kind: 'new-account', strategy: null, create }, plan: { kind: 'token', method: 'guest' }, info });
    return signedIn.handover.token;
  }

  /**
   * Authenticator hook for an opaque bearer reference (`gh_at.…`): its live session, or `invalid-token`,
   * `access-token-expired`, `token-revoked` — the same codes as a JWT's.
   */
  async authenticateOpaque(token: string): Promise<{ accountId: string; sessionId: string; kind: 'bearer' }> {
    const { sessionId, accountId } = await this.deps.issuer.opaque.resolve(token);
    if (!(await this.deps.sessions.isLive(sessionId))) throw new AppError('token-revoked');
    await this.deps.sessions.touch(sessionId, null);
    return { accountId, sessionId, kind: 'bearer' };
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
    this.deps.roles.remember(found.account, found.roles);
    return this.deps.issuer.oauthToken(found.account, {
      sessionId: session.id, refreshToken: rotation.refreshToken, refreshExpiresAt: rotation.expiresAt,
      clientId: session.client_id ?? undefined, scope: session.scope ?? undefined, amr: amrOf(session.amr),
    });
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
}
