import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../http/errors.js';
import { INTERACTION_UID_PATTERN } from '../sign-in/interaction-return.js';
import { completeLogin, type ProviderContext } from './complete-login.js';
import { flowOriginOf, NO_CLIENT } from './flow-origin.js';

/** The ticket is checked by the provider (syntax, single use), so a bad one fails as `invalid-credentials`. */
const CasQuery = Type.Object({
  ticket: Type.Optional(Type.String()),
  clientID: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Starting a login for a client (hosted login); ignored with ticket' })),
  interaction: Type.Optional(Type.String({ pattern: INTERACTION_UID_PATTERN, description: 'The OpenID interaction the client\'s hosted login runs for; needs clientID' })),
});

/**
 * CAS 1/2/3 and SAML 1.1 client (seeds 001/004, CONTRACT §5): `GET /auth/cas` sends the browser to the CAS login
 * with `service=<baseUrl>/auth/cas`; the CAS server sends it back to the same URL with `?ticket=`, which is
 * validated once (and only in the browser that started the login: flow cookie), and a cookie session starts.
 * Started from a client's hosted login (`?clientID=&interaction=`), the flow cookie keeps the client and the OpenID
 * interaction, and the login ends as every provider login for a client does (complete-login.ts). Why the cookie and
 * not the service URL: CAS servers compare the service URL verbatim, and one fixed URL is what operators register.
 */
export const casRoutes: FastifyPluginAsync<{ context: ProviderContext }> = async (fastify, { context }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { cas } = context.deps.config;
  const provider = context.providers.cas;

  app.get('/auth/cas', {
    schema: { tags: ['auth'], summary: 'Sign in with CAS: redirect to the CAS server, or validate its ?ticket= and start a cookie session', querystring: CasQuery },
  }, async (request, reply) => {
    if (!provider) throw new AppError('not-found', 'CAS login is not enabled');
    const ticket = request.query.ticket;
    if (ticket === undefined) {
      const origin = await flowOriginOf(context.deps.clients, request, [provider.strategy]);
      const start = await provider.start();
      if (!('url' in start.redirect)) throw new AppError('internal-error', 'CAS starts with a redirect');
      // CAS has no state parameter: a flow cookie ties the return to a login this browser started (no login CSRF).
      context.flows.set(reply, provider.id, start.state, origin);
      return reply.header('cache-control', 'no-store').redirect(start.redirect.url, 302);
    }
    // Whom the login is for comes from the flow cookie alone: the return's URL is the CAS server's to build.
    const flow = context.flows.read(request, provider.id);
    return completeLogin(context, request, reply, {
      provider,
      rule: { createAccounts: cas.userAutoProvisioning, unknownPerson: 'invalid-credentials' },
      successUrl: cas.redirectSuccessUrl,
      failureUrl: cas.redirectFailureUrl,
      maxAgeSeconds: cas.maxAge,
    }, flow?.origin ?? NO_CLIENT, async () => {
      if (!flow) throw new AppError('invalid-credentials', 'CAS login failed: no CAS login was started in this browser (missing or expired flow cookie)');
      return provider.validate(ticket);
    });
  });
};
