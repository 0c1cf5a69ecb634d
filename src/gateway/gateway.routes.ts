import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponses } from '../http/schemas.js';
import { requireAuth } from '../http/authenticate.js';
import { UserContext, userContext, type UserContextDeps } from './user-context.js';

/**
 * `GET /api/auth/context` for API gateways (seed 003's UserContext; CONTRACT §5): nginx `auth_request`, Traefik
 * `forwardAuth`, Envoy `ext_authz`. The caller's credential (anything the authenticator accepts) in; the context and
 * an internal access JWT (`gateway.internalTokenTtl`) out, also as headers the gateway copies upstream. A missing
 * credential is `401 unauthorized`; a bad one got its 401 code from the authenticator already. See docs/gateway.md.
 */
export const gatewayRoutes: FastifyPluginAsync<UserContextDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/api/auth/context', {
    schema: {
      tags: ['api/auth'],
      summary: 'The caller’s UserContext and an internal token, for API gateways',
      response: { 200: UserContext, ...errorResponses },
    },
  }, async (request, reply) => {
    const context = await userContext(deps, requireAuth(request));
    return reply
      .header('cache-control', 'no-store')
      .header('x-user-id', context.id)
      .header('x-user-roles', context.user.roles.join(','))
      .header('x-session-id', context.data.sessionId)
      .header('authorization', `Bearer ${context.authorization.accessToken}`)
      .send(context);
  });
};
