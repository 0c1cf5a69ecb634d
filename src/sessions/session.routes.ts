import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Config } from '../config/index.js';
import { parseAcceptLanguage } from '../http/accept-language.js';
import { requireAuth } from '../http/authenticate.js';
import { invalidField } from '../http/errors.js';
import { andThen, type Awaitable } from '../util/awaitable.js';
import { clearAuthCookies } from './cookies.js';
import type { SessionService } from './session.service.js';
import { EndSessionBody, LogoutQuery, SessionList, sessionErrors, UserInfo } from './session.schemas.js';
import { iso, userInfo } from './user-info.js';

const tags = ['sessions'];

/** Ending sessions with their audit and broadcast; why a shape: sign-in/login.service.ts, above sessions/, implements it. */
export interface SessionEnding {
  logout(sessionId: string, accountId: string | null): Promise<void>;
  endSession(sessionId: string, accountId: string, by: string): Promise<void>;
}

/**
 * What the session routes use. Why spelled out as shapes: the services behind them (sign-in/'s LoginService,
 * accounts/' ProfileCache and AccountService) sit above sessions/, and only the composition root joins them.
 */
export interface SessionRouteDeps {
  config: Config;
  sessions: SessionService;
  logins: SessionEnding;
  /** Who-is-calling fields of accounts (accounts/profile-cache.ts). */
  profiles: { get(accountId: string): Awaitable<{ id: string; username: string; language: string | null } | null> };
  accounts: { usernameOf(accountId: string): Promise<string | null> };
  /** Whether `url` is the callbackURL of a registered client (logout's `?redirect=`). */
  isRegisteredCallback: (url: string) => Promise<boolean>;
}

/** Sessions by cookie and HTTP Basic (seeds 001 and 004; CONTRACT §5): who is calling, logout, the session list. The ways in are sign-in/cookie-login.routes.ts. */
export const sessionRoutes: FastifyPluginAsync<SessionRouteDeps> = async (fastify, { config, sessions, logins, profiles, accounts, isRegisteredCallback }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  await app.register(formbody, { bodyLimit: 16 * 1024 });

  const logout = async (request: FastifyRequest<{ Querystring: { redirect?: string } }>, reply: FastifyReply) => {
    const redirect = request.query.redirect;
    if (redirect !== undefined && !(await isRegisteredCallback(redirect))) throw invalidField('redirect', 'is not the callbackURL of a registered client');
    if (request.auth) await logins.logout(request.auth.sessionId, request.auth.accountId);
    clearAuthCookies(reply, config);
    if (redirect !== undefined) return reply.redirect(redirect, 303);
    return reply.code(200).send({ loggedOut: request.auth !== null });
  };
  const logoutSchema = { tags, summary: 'End the presented credential’s session and clear every auth cookie', querystring: LogoutQuery, response: { 200: Type.Object({ loggedOut: Type.Boolean() }), ...sessionErrors } };
  app.get('/auth/logout', { schema: logoutSchema }, logout);
  app.post('/auth/logout', { schema: logoutSchema }, logout);

  // Not an async handler: with the profile and the session's end in memory it answers without a promise.
  app.get('/auth/user', { schema: { tags, summary: 'Who is calling (or `_guest`), with the parsed Accept-Language', response: { 200: UserInfo, ...sessionErrors } } }, (request) => {
    const { auth } = request;
    if (!auth) return { id: '_guest', user: '_guest', clientAcceptLanguage: parseAcceptLanguage(request.headers['accept-language']) };
    return andThen(profiles.get(auth.accountId), (profile) => andThen(sessions.endOf(auth.sessionId), (end) => userInfo(request, profile, end)));
  });

  app.get('/auth/tokens', { schema: { tags, summary: 'The caller’s own active logins', response: { 200: SessionList, ...sessionErrors } } }, async (request) => {
    const auth = requireAuth(request);
    const username = await accounts.usernameOf(auth.accountId);
    const rows = await sessions.listLive(auth.accountId);
    return Object.fromEntries(rows.map((row) => [row.id, {
      loginTime: iso(row.login_time)!,
      loginExpiration: iso(row.expires_at),
      inetAddress: row.inet_address,
      lastAccess: iso(row.last_access)!,
      userAgent: row.user_agent,
      userName: username ?? '',
    }]));
  });

  app.delete('/auth/tokens', { schema: { tags, summary: 'End one of the caller’s own sessions', body: EndSessionBody, response: { 204: Type.Null(), ...sessionErrors } } }, async (request, reply) => {
    const auth = requireAuth(request);
    const session = await sessions.ownLive(auth.accountId, request.body.token);
    await logins.endSession(session.id, auth.accountId, auth.accountId);
    if (session.id === auth.sessionId) clearAuthCookies(reply, config);
    return reply.code(204).send(null);
  });
};
