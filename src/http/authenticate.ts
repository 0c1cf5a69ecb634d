import type { FastifyRequest } from 'fastify';
import type { Config } from '../config/index.js';
import type { SessionService } from '../sessions/session.service.js';
import type { AccessClaims, AccessTokens } from '../tokens/access-tokens.js';
import { AppError } from './errors.js';

/** The authenticated caller of a request; `null` on `request.auth` means a guest. */
export interface AuthContext {
  accountId: string;
  sessionId: string;
  claims: AccessClaims;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | null;
  }
}

/**
 * Finds the request's credential (CONTRACT §3: `Authorization: Bearer`, then `?_token=`) and checks it.
 * A presented credential that fails is a 401, never silently a guest.
 */
export class Authenticator {
  constructor(
    private readonly config: Config,
    private readonly accessTokens: AccessTokens,
    private readonly sessions: SessionService,
  ) {}

  async authenticate(request: FastifyRequest): Promise<AuthContext | null> {
    const token = this.bearerToken(request);
    if (token === null) return null;
    const claims = await this.accessTokens.verify(token);
    if (!(await this.sessions.isLive(claims.sid))) throw new AppError('token-revoked');
    return { accountId: claims.sub, sessionId: claims.sid, claims };
  }

  private bearerToken(request: FastifyRequest): string | null {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer +([A-Za-z0-9\-_.~+/]+=*) *$/i.exec(header);
      if (match) return match[1]!;
      // Other schemes (Basic) belong to issue 3's authenticators; a malformed Bearer is an invalid credential.
      if (/^Bearer\b/i.test(header)) throw new AppError('invalid-token', 'malformed Authorization header');
    }
    if (this.config.tokens.queryParameter) {
      const value = (request.query as Record<string, unknown> | undefined)?._token;
      if (typeof value === 'string' && value.length) return value;
    }
    return null;
  }
}

/** Route guard: the caller must be authenticated. */
export function requireAuth(request: FastifyRequest): AuthContext {
  if (!request.auth) throw new AppError('unauthorized', 'this endpoint needs an access token');
  return request.auth;
}

/** Where the request came from (honours `server.trustProxy` through Fastify's own `request.ip`). */
export function clientInfo(request: FastifyRequest): { inetAddress: string | null; userAgent: string | null } {
  return { inetAddress: request.ip ?? null, userAgent: request.headers['user-agent'] ?? null };
}
