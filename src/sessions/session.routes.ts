import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { findClientByCallback } from '../clients/client.repository.js';
import { parseAcceptLanguage } from '../http/accept-language.js';
import { BASIC_CHALLENGE, clientInfo, requireAuth } from '../http/authenticate.js';
import { AppError, invalidField } from '../http/errors.js';
import { requireLoginCsrf } from '../pages/form-token.js';
import { andThen } from '../util/awaitable.js';
import type { AccountProfile } from '../accounts/profile-cache.js';
import type { Services } from '../services.js';
import { clearAuthCookies, sessionTtlMs, setAuthCookie } from './cookies.js';
import { CookieLoginBody, EndSessionBody, LogoutQuery, SessionList, sessionErrors, UserInfo } from './session.schemas.js';

const tags = ['sessions'];

/** Sessions by cookie and HTTP Basic (seeds 001 and 004; CONTRACT §5). */
export const sessionRoutes: FastifyPluginAsync<{ services: Services }> = async (fastify, { services }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { config, sessions, logins, clock } = services;
  await app.register(formbody, { bodyLimit: 16 * 1024 });

  app.post('/auth/cookie', {
    // Login CSRF: a foreign page's form post must not log the visitor's browser into the attacker's account.
    preValidation: requireLoginCsrf(services, () => {
      throw new AppError('forbidden', 'cross-site login refused: a form post from a foreign Origin needs the form token of one of our pages');
    }),
    schema: { tags, summary: 'Log in with a password; sets the auth cookie', body: CookieLoginBody, response: { 200: UserInfo, ...sessionErrors } },
  }, async (request, reply) => {
    const { auth_username: login, auth_password: password, auth_maxage: rawMaxAge = config.cookie.maxAge } = request.body;
    const maxAge = Number(rawMaxAge);
    if (maxAge > 31_536_000) throw invalidField('auth_maxage', 'must be at most 31536000 seconds');
    const account = await logins.verifyPassword(login, password, request.ip);
    logins.assertConfirmed(account);
    const { session, credential } = await sessions.createWithSecret({
      accountId: account.id, method: 'cookie', clientId: null, scope: null,
      expiresAt: clock.now() + sessionTtlMs(maxAge), ...clientInfo(request),
    });
    await logins.recordLogin(account, session.id, 'cookie', request.ip);
    setAuthCookie(reply, config, credential, maxAge);
    return userInfo(request, account, session.expires_at);
  });

  // Seed 004: credentials travel only in a POST body, never in a URL that ends up in logs.
  app.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE'],
    url: '/auth/cookie',
    schema: { hide: true },
    handler: async (_request, reply) => {
      reply.header('allow', 'POST');
      throw new AppError('method-not-allowed', 'use POST /auth/cookie with a form body');
    },
  });

  app.get('/auth/basic', { schema: { tags, summary: 'HTTP Basic challenge (with httpBasic.enabled)', response: { 200: UserInfo, ...sessionErrors } } }, async (request, reply) => {
    if (!config.httpBasic.enabled) throw new AppError('not-found', 'HTTP Basic is disabled');
    if (request.auth?.kind !== 'basic') {
      reply.header('www-authenticate', BASIC_CHALLENGE);
      throw new AppError('unauthorized', 'HTTP Basic credentials required');
    }
    return userInfo(request, await services.profiles.get(request.auth.accountId), await sessions.endOf(request.auth.sessionId));
  });

  const logout = async (request: FastifyRequest<{ Querystring: { redirect?: string } }>, reply: FastifyReply) => {
    const redirect = request.query.redirect;
    if (redirect !== undefined && !(await findClientByCallback(services.database.db, redirect))) throw invalidField('redirect', 'is not the callbackURL of a registered client');
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
    return andThen(services.profiles.get(auth.accountId), (profile) => andThen(sessions.endOf(auth.sessionId), (end) => userInfo(request, profile, end)));
  });

  app.get('/auth/tokens', { schema: { tags, summary: 'The caller’s own active logins', response: { 200: SessionList, ...sessionErrors } } }, async (request) => {
    const auth = requireAuth(request);
    const username = await services.accounts.usernameOf(auth.accountId);
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

function userInfo(request: FastifyRequest, account: AccountProfile | null, expiresAt: number | null) {
  if (!account) throw new AppError('invalid-token', 'the account no longer exists');
  return {
    id: account.id,
    user: account.username,
    language: account.language,
    authTokenExpires: iso(expiresAt),
    clientAcceptLanguage: parseAcceptLanguage(request.headers['accept-language']),
  };
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
