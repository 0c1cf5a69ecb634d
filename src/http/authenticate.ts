import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/index.js';
import type { Awaitable } from '../util/awaitable.js';
import { AppError } from './errors.js';

/** The HTTP Basic challenge (RFC 7617), on `GET /auth/basic` and on every 401 to a request that carried Basic credentials. */
export const BASIC_CHALLENGE = 'Basic realm="gatehouse", charset="UTF-8"';

/** Where password checks outside the login routes are counted: `rateLimit.login` per client address. */
export interface LoginBudget {
  /** Throws `rate-limited` when the address is over its login budget. */
  countLogin(ip: string): Awaitable<void>;
}

/** How the caller proved who it is. */
export type CredentialKind = 'bearer' | 'cookie' | 'basic';

/** The verified claims of a bearer JWT, as far as plumbing needs to know them (tokens/access-tokens.ts has them all). */
export interface BearerClaims {
  sub: string;
  sid: string;
  roles: string[];
}

/** The authenticated caller of a request; `null` on `request.auth` means a guest. */
export interface AuthContext {
  accountId: string;
  sessionId: string;
  kind: CredentialKind;
  claims?: BearerClaims;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | null;
  }
}

/**
 * Who is calling: the app's onRequest hook asks this once per request. Why an interface: the resolver checks tokens,
 * sessions and passwords — features — so it lives in sign-in/credentials.ts and the composition root passes it in.
 */
export interface CredentialResolver {
  /** The caller, or null for a guest; synchronous when memory alone can answer. Throws the 401 of a bad credential. */
  authenticate(request: FastifyRequest, reply: FastifyReply, budget?: LoginBudget): Awaitable<AuthContext | null>;
}

/**
 * Every 401 answered to a request that carried Basic credentials challenges for Basic again (RFC 7235 §3.1), whichever
 * route or check refused it. Installed only with `httpBasic.enabled`; otherwise Basic headers are ignored.
 */
export function installBasicChallenge(app: FastifyInstance, config: Config): void {
  if (!config.httpBasic.enabled) return;
  app.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode === 401 && /^Basic\b/i.test(request.headers.authorization ?? '')) reply.header('www-authenticate', BASIC_CHALLENGE);
    done(null, payload);
  });
}

/** Three dot-separated parts, as a JWT has (the cookie session credential `id.secret` has two). */
export function hasJwtShape(credential: string): boolean {
  const first = credential.indexOf('.');
  const second = first === -1 ? -1 : credential.indexOf('.', first + 1);
  return second !== -1 && credential.indexOf('.', second + 1) === -1;
}

/** Splits `Basic base64(user:password)`; a malformed header is an invalid credential. */
export function parseBasic(header: string): { username: string; password: string } {
  const match = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header);
  const decoded = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  if (colon <= 0 || /[\u0000-\u001f\u007f]/.test(decoded.slice(0, colon))) throw new AppError('invalid-credentials', 'malformed Basic credentials');
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Whether a password change may keep the caller's session (seed 004: "the current one stays"). Not an HTTP Basic
 * session: it is the old password itself, sent again with every request.
 */
export function survivesPasswordChange(auth: AuthContext): boolean {
  return auth.kind !== 'basic';
}

/** Route guard: the caller must be authenticated. */
export function requireAuth(request: FastifyRequest): AuthContext {
  if (!request.auth) throw new AppError('unauthorized', 'this endpoint needs a credential');
  return request.auth;
}

/** Where the request came from (honours `server.trustProxy` through Fastify's own `request.ip`). */
export function clientInfo(request: FastifyRequest): { inetAddress: string | null; userAgent: string | null } {
  return { inetAddress: request.ip ?? null, userAgent: request.headers['user-agent'] ?? null };
}
