import type { Kysely } from 'kysely';
import { rolesOf } from '../accounts/account.view.js';
import type { Clock, RandomSource } from '../clock.js';
import type { Config } from '../config/index.js';
import type { AccountRow, DB } from '../db/types.js';
import { OpaqueTokens } from '../gateway/opaque-tokens.js';
import type { AccessTokens } from '../tokens/access-tokens.js';
import type { AccountRoles } from './account-roles.js';

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

/** A token session's refresh token and the client and scope it was issued for, to be written into an OAuthToken. */
export interface TokenGrant {
  sessionId: string;
  refreshToken: string;
  refreshExpiresAt: number | null;
  clientId?: string | undefined;
  scope?: string | undefined;
  /** How the session was authenticated (RFC 8176), written into the access token. */
  amr?: readonly string[] | undefined;
}

/** What the issuer needs. */
export interface TokenIssuerDeps {
  db: Kysely<DB>;
  config: Config;
  clock: Clock;
  random: RandomSource;
  accessTokens: AccessTokens;
  roles: AccountRoles;
}

/**
 * Writes the access tokens a sign-in or a refresh hands over. Why one class: the JWT, its opaque reference
 * (`tokens.clientFormat: opaque`) and the OAuthToken around them must look the same whichever way the session began.
 */
export class TokenIssuer {
  /** Opaque access references for `tokens.clientFormat: opaque` (src/gateway/opaque-tokens.ts). */
  readonly opaque: OpaqueTokens;

  constructor(private readonly deps: TokenIssuerDeps) {
    this.opaque = new OpaqueTokens(deps.db, deps.clock, deps.random);
  }

  /** The access token a client holds: the JWT, or with `tokens.clientFormat: opaque` (split token) a reference only GET /api/auth/context turns into the JWT. */
  clientAccessToken(account: AccountRow, sessionId: string, amr?: readonly string[]): Promise<{ token: string; expiresAt: number }> {
    return this.deps.config.tokens.clientFormat === 'opaque'
      ? this.opaque.issue(sessionId, account.id, this.deps.config.tokens.accessTokenTtl)
      : this.accessToken(account, sessionId, amr);
  }

  /** Seed 003's OAuthToken for a token session: a fresh access token around the session's refresh token. */
  async oauthToken(account: AccountRow, grant: TokenGrant): Promise<OAuthToken> {
    const access = await this.clientAccessToken(account, grant.sessionId, grant.amr);
    const token: OAuthToken = {
      accessToken: access.token,
      accessTokenExpiresAt: new Date(access.expiresAt).toISOString(),
      refreshToken: grant.refreshToken,
      userId: account.id,
    };
    if (grant.refreshExpiresAt !== null) token.refreshTokenExpiresAt = new Date(grant.refreshExpiresAt).toISOString();
    if (grant.scope !== undefined) token.scope = grant.scope;
    if (grant.clientId !== undefined) token.clientId = grant.clientId;
    return token;
  }

  private async accessToken(account: AccountRow, sessionId: string, amr: readonly string[] | undefined): Promise<{ token: string; expiresAt: number }> {
    // The token carries roles only (permissions are looked up where they are checked): one query, not a principal's four.
    const roles = rolesOf(account, await this.deps.roles.of(account));
    return this.deps.accessTokens.issue({ accountId: account.id, email: account.email, roles, sessionId, amr });
  }
}
