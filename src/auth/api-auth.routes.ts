import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { clientInfo, requireAuth, survivesPasswordChange } from '../http/authenticate.js';
import { invalidField } from '../http/errors.js';
import { tokenFromLink } from '../http/token-link.js';
import type { AccountService } from '../accounts/account.service.js';
import type { LoginService } from '../sign-in/login.service.js';
import type { RefreshTokens } from '../tokens/refresh-tokens.js';
import { errorResponses, OAuthToken } from '../http/schemas.js';
import { AccountView } from '../accounts/account.schemas.js';
import {
  AdminAccountBody, ChangePasswordBody, ConfirmBody, ConfirmedQuery, LoginBody, LogoutBody, RefreshBody, RegisterBody, ResendConfirmationBody,
} from './api-auth.schemas.js';

const tags = ['api/auth'];

/** What `/api/auth/*` uses: accounts, the login service, and refresh tokens (a logout by refresh token finds its session). */
export interface ApiAuthRouteDeps {
  accounts: AccountService;
  logins: LoginService;
  refreshTokens: Pick<RefreshTokens, 'sessionOf'>;
}

/** `/api/auth/*` (seeds 002 and 003; CONTRACT §5 "Tokens for apps and gateways"). */
export const apiAuthRoutes: FastifyPluginAsync<ApiAuthRouteDeps> = async (fastify, { accounts, logins, refreshTokens }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/register', {
    schema: { tags, summary: 'Create an account', body: RegisterBody, response: { 201: AccountView, ...errorResponses } },
  }, async (request, reply) => reply.code(201).send(await accounts.register(request.body)));

  app.post('/login', {
    schema: { tags, summary: 'Sign in with a password; returns an OAuthToken', body: LoginBody, response: { 200: OAuthToken, ...errorResponses } },
  }, async (request) => {
    const { username, email, password, clientId, scope } = request.body;
    const login = username ?? email;
    if (login === undefined) throw invalidField('username', 'username or email is required');
    return logins.passwordLogin({ login, password, clientId, scope, ...clientInfo(request) });
  });

  app.post('/refresh', {
    schema: { tags, summary: 'Rotate a refresh token; returns a new OAuthToken', body: RefreshBody, response: { 200: OAuthToken, ...errorResponses } },
  }, async (request) => logins.refresh(request.body.refreshToken));

  app.post('/guest', {
    schema: { tags, summary: 'Create a guest account and log it in', response: { 200: OAuthToken, ...errorResponses } },
  }, async (request) => logins.guest(clientInfo(request)));

  app.post('/logout', {
    schema: { tags, summary: 'End the session of the bearer token or of a refresh token', body: Type.Optional(LogoutBody), response: { 204: Type.Null(), ...errorResponses } },
  }, async (request, reply) => {
    const refreshToken = request.body?.refreshToken;
    if (refreshToken !== undefined) {
      await logins.logout(await refreshTokens.sessionOf(refreshToken), request.auth?.accountId ?? null);
    } else {
      const auth = requireAuth(request);
      await logins.logout(auth.sessionId, auth.accountId);
    }
    return reply.code(204).send(null);
  });

  app.get('/account', {
    schema: { tags, summary: 'The caller’s account', response: { 200: AccountView, ...errorResponses } },
  }, async (request) => accounts.view(requireAuth(request).accountId));

  app.put('/account', {
    schema: { tags, summary: 'Change one’s own password', body: ChangePasswordBody, response: { 204: Type.Null(), ...errorResponses } },
  }, async (request, reply) => {
    const auth = requireAuth(request);
    await accounts.changeOwnPassword(await accounts.principal(auth.accountId, auth.sessionId), { ...request.body, inetAddress: request.ip }, survivesPasswordChange(auth));
    return reply.code(204).send(null);
  });

  app.get('/account/confirmed', {
    schema: { tags, summary: 'Whether an account is confirmed', querystring: ConfirmedQuery, response: { 200: Type.Object({ confirmed: Type.Boolean() }), ...errorResponses } },
  }, async (request) => {
    const login = request.query.username ?? request.query.email;
    if (login === undefined) throw invalidField('username', 'username or email is required');
    return { confirmed: await accounts.isConfirmed(login) };
  });

  app.post('/account/confirm', {
    schema: { tags, summary: 'Confirm an account with the e-mailed token', body: ConfirmBody, response: { 200: AccountView, ...errorResponses } },
  }, async (request) => accounts.confirm(tokenFromLink(request.body.token)));

  app.post('/account/confirmation', {
    schema: { tags, summary: 'Mail a new confirmation link to an unconfirmed account (always 202)', body: ResendConfirmationBody, response: { 202: Type.Null(), ...errorResponses } },
  }, async (request, reply) => {
    // Not awaited: the answer and its timing must not depend on whether such an account exists.
    accounts.resendConfirmation(request.body.email).catch((error) => request.log.error({ err: error }, 'confirmation mail failed'));
    return reply.code(202).send(null);
  });

  app.put('/admin/account', {
    schema: { tags, summary: 'Update an account (needs accounts:write and a rank at or above the account’s)', body: AdminAccountBody, response: { 200: AccountView, ...errorResponses } },
  }, async (request) => {
    const auth = requireAuth(request);
    const body = request.body;
    if (body.id === undefined && body.username === undefined) throw invalidField('id', 'id or username is required');
    return accounts.adminUpdate(await accounts.principal(auth.accountId, auth.sessionId), body);
  });
};
