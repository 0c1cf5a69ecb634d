import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/index.js';
import { isOpaqueToken } from '../gateway/opaque-tokens.js';
import { AppError } from '../http/errors.js';
import { MFA_TOKEN_PREFIX } from '../mfa/pending-sign-ins.js';
import { hasJwtShape, parseBasic, type AuthContext, type CredentialResolver, type LoginBudget } from '../http/authenticate.js';
import { sessionTtlMs, setAuthCookie, clearAuthCookies } from '../sessions/cookies.js';
import type { SessionService } from '../sessions/session.service.js';
import type { AccessClaims, AccessTokens } from '../tokens/access-tokens.js';
import { andThen, type Awaitable } from '../util/awaitable.js';
import { hmac } from '../util/hashing.js';
import { LruCache } from '../util/lru.js';
import type { LoginService } from './login.service.js';
import type { SignIn } from './pipeline.js';

/**
 * Finds the request's credential and checks it (CONTRACT §3): `Authorization: Bearer`, `Authorization: Basic`
 * (with `httpBasic.enabled`), `?_token=`, then the auth cookie unless `?ignoreAuth`. A presented credential
 * that fails is a 401 — except a dead cookie, which is cleared and the request goes on as a guest's.
 */
export class Authenticator implements CredentialResolver {
  /** Basic credentials already checked, by an HMAC of name and password: one argon2 verify per credential, not per request. */
  private readonly basicSessions = new LruCache<string, { sessionId: string; accountId: string }>(10_000);

  constructor(
    private readonly deps: {
      config: Config;
      accessTokens: AccessTokens;
      sessions: SessionService;
      logins: LoginService;
      signIn: SignIn;
      serverKey: string;
    },
  ) {}

  /**
   * The caller, or null for a guest. Synchronous when memory alone can answer (a credential checked before, its
   * session known live, no activity write due): the common case, every request of a signed-in client.
   */
  authenticate(request: FastifyRequest, reply: FastifyReply, budget?: LoginBudget): Awaitable<AuthContext | null> {
    const header = request.headers.authorization;
    if (header !== undefined && header !== '') {
      // A token verified before is found without scanning it first: the syntax check below costs a microsecond on a
      // 700-character token, and the cache only holds tokens that passed it.
      const known = header.startsWith('Bearer ') ? this.bearerFromMemory(header.slice(7)) : undefined;
      if (known) return known;
      const bearer = /^Bearer +([A-Za-z0-9\-_.~+/]+=*) *$/i.exec(header);
      if (bearer) return this.bearer(bearer[1]!);
      if (/^Bearer\b/i.test(header)) throw new AppError('invalid-token', 'malformed Authorization header');
      if (/^Basic\b/i.test(header) && this.deps.config.httpBasic.enabled) return this.basic(header, request, budget);
    }
    const query = request.query as Record<string, unknown> | undefined;
    if (this.deps.config.tokens.queryParameter && typeof query?._token === 'string' && query._token.length) return this.bearer(query._token);
    if (query && 'ignoreAuth' in query) return null;
    const cookie = request.cookies?.[this.deps.config.cookie.name];
    return cookie ? this.cookie(cookie, reply) : null;
  }

  private bearer(token: string): Awaitable<AuthContext | null> {
    // An `mfaToken` signs no one in: only the enrolment routes read it (mfa/mfa.routes.ts); everywhere else the caller is a guest.
    if (token.startsWith(MFA_TOKEN_PREFIX)) return null;
    // `tokens.clientFormat: opaque`: the client holds a reference, resolved to its session (split token, seed 003).
    if (isOpaqueToken(token)) return this.deps.logins.authenticateOpaque(token);
    return this.bearerFromMemory(token) ?? this.bearerChecked(token);
  }

  /** A token verified before whose session is known live, with no activity write due; else `undefined`. */
  private bearerFromMemory(token: string): AuthContext | undefined {
    const { sessions } = this.deps;
    const claims = this.deps.accessTokens.verifyCached(token);
    if (claims && sessions.isLiveCached(claims.sid) && !sessions.touchDue(claims.sid)) return bearerContext(claims);
    return undefined;
  }

  private async bearerChecked(token: string): Promise<AuthContext> {
    const claims = await this.deps.accessTokens.verify(token);
    if (!(await this.deps.sessions.isLive(claims.sid))) throw new AppError('token-revoked');
    await this.deps.sessions.touch(claims.sid, null);
    return bearerContext(claims);
  }

  private cookie(credential: string, reply: FastifyReply): Awaitable<AuthContext | null> {
    // A client with tokenMethod `cookie` receives its access token in the auth cookie (seed 000): a JWT, or with
    // `tokens.clientFormat: opaque` a reference.
    if (hasJwtShape(credential) || isOpaqueToken(credential)) return this.cookieToken(credential, reply);
    const { sessions } = this.deps;
    return andThen(sessions.verifyCredential(credential), (session) => {
      if (!session) {
        clearAuthCookies(reply, this.deps.config);
        return null;
      }
      // Spelled out, not spread: spreading here took V8's slow path, a microsecond on every request.
      const context: AuthContext = { accountId: session.accountId, sessionId: session.sessionId, kind: 'cookie' };
      return sessions.touchDue(session.sessionId) ? this.slideCookie(context, credential, reply) : context;
    });
  }

  private async cookieToken(credential: string, reply: FastifyReply): Promise<AuthContext | null> {
    try {
      const context = await this.bearer(credential);
      return context && { ...context, kind: 'cookie' };
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      clearAuthCookies(reply, this.deps.config);
      return null;
    }
  }

  /** Sliding expiry (seed 004): the stored end moves and the browser gets the cookie again with a fresh Max-Age. */
  private async slideCookie(context: AuthContext, credential: string, reply: FastifyReply): Promise<AuthContext> {
    const { cookie } = this.deps.config;
    const slide = cookie.refreshExpirationOnAccess ? sessionTtlMs(cookie.maxAge) : null;
    if ((await this.deps.sessions.touch(context.sessionId, slide)) !== null) setAuthCookie(reply, this.deps.config, credential, cookie.maxAge);
    return context;
  }

  /**
   * HTTP Basic (seed 004): `rateLimit.login`, then the sign-in pipeline like any password login (lockout, the bounded hashing queue) —
   * then kept as one session. Only a credential not verified before counts: a Basic client sends it on every request.
   */
  private async basic(header: string, request: FastifyRequest, budget: LoginBudget | undefined): Promise<AuthContext> {
    const { username, password } = parseBasic(header);
    const fingerprint = hmac(this.deps.serverKey, `basic:${username}\u0000${password}`);
    const known = this.basicSessions.get(fingerprint);
    if (known && (await this.deps.sessions.isLive(known.sessionId))) {
      await this.deps.sessions.touch(known.sessionId, null);
      return { ...known, kind: 'basic' };
    }
    await budget?.countLogin(request.ip);
    const { account, sessionId } = await this.deps.signIn.run({
      proof: { kind: 'password', login: username, password },
      plan: { kind: 'basic' },
      info: { inetAddress: request.ip, userAgent: request.headers['user-agent'] ?? null },
    });
    this.basicSessions.set(fingerprint, { sessionId, accountId: account.id });
    return { accountId: account.id, sessionId, kind: 'basic' };
  }
}

function bearerContext(claims: AccessClaims): AuthContext {
  return { accountId: claims.sub, sessionId: claims.sid, kind: 'bearer', claims };
}
