import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { AccountView, errorResponses, Password } from '../auth/api-auth.schemas.js';
import { requireAuth, survivesPasswordChange } from '../http/authenticate.js';
import type { Services } from '../services.js';

const AccountParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
const AccountUpdateBody = Type.Object(
  {
    password: Type.Optional(Password),
    currentPassword: Type.Optional(Type.String()),
    language: Type.Optional(Type.Union([Type.String({ pattern: '^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$', maxLength: 35 }), Type.Null()])),
  },
  { additionalProperties: false },
);

/**
 * `GET|PUT /accounts/{id}` — own account, or another's with `accounts:read` / `accounts:write`.
 * The HAL account-server resource (seed 000) extends this; the password rules are seed 004's.
 */
export const accountRoutes: FastifyPluginAsync<{ services: Services }> = async (fastify, { services }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { accounts } = services;

  app.get('/accounts/:id', {
    schema: { tags: ['accounts'], summary: 'One account', params: AccountParams, response: { 200: AccountView, ...errorResponses } },
  }, async (request) => {
    const auth = requireAuth(request);
    const principal = await accounts.principal(auth.accountId, auth.sessionId);
    if (request.params.id !== auth.accountId) accounts.requirePermission(principal, 'accounts:read');
    return accounts.view(request.params.id);
  });

  app.put('/accounts/:id', {
    schema: { tags: ['accounts'], summary: 'Update an account (password, language)', params: AccountParams, body: AccountUpdateBody, response: { 200: AccountView, ...errorResponses } },
  }, async (request) => {
    const auth = requireAuth(request);
    const principal = await accounts.principal(auth.accountId, auth.sessionId);
    return accounts.update(principal, request.params.id, request.body, survivesPasswordChange(auth));
  });
};
