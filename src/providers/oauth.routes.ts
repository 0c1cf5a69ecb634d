import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../http/errors.js';
import { INTERACTION_UID_PATTERN } from '../sign-in/interaction-return.js';
import { completeLogin, startFlow, type ProviderContext } from './complete-login.js';
import { flowOriginOf, NO_CLIENT } from './flow-origin.js';
import type { LoginProvider } from './provider.js';

const StartQuery = Type.Object({
  clientID: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  interaction: Type.Optional(Type.String({ pattern: INTERACTION_UID_PATTERN, description: 'The OpenID interaction the client\'s hosted login runs for; needs clientID' })),
});
const OidcParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

/**
 * Google, Facebook and generic OIDC providers (CONTRACT §5): `GET /auth/<provider>?clientID=&interaction=` sends the
 * browser to the provider with a flow cookie (which keeps the client and the OpenID interaction); `GET
 * /auth/<provider>/callback` checks the return against that cookie and logs in.
 */
export const oauthRoutes: FastifyPluginAsync<{ context: ProviderContext }> = async (fastify, { context }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { config } = context.deps;
  const base = config.server.baseUrl.replace(/\/+$/, '');
  const callbackUrl = (provider: LoginProvider): string => `${base}/auth/${provider.id}/callback`;

  const { google, facebook, oidc } = context.providers;

  // GET / lists ec:auth/google and ec:auth/facebook (seed 000's table) whether or not they are set up: an operator
  // who follows one that is not gets told which key turns it on.
  const configured = (provider: LoginProvider | null | undefined, name: string, key: string): LoginProvider => {
    if (!provider) throw new AppError('not-found', `${name} login is not configured on this server (set ${key})`);
    return provider;
  };

  const start = async (request: FastifyRequest, reply: FastifyReply, provider: LoginProvider, alsoDisabledAs: string[] = []) => {
    const origin = await flowOriginOf(context.deps.clients, request, [provider.strategy, ...alsoDisabledAs]);
    return startFlow(context, reply, provider, callbackUrl(provider), origin);
  };

  const finish = async (request: FastifyRequest, reply: FastifyReply, provider: LoginProvider) => {
    // Read before anything can fail, so a failure still returns to the client (or interaction) that started the flow.
    const flow = context.flows.read(request, provider.id);
    const query = request.query as Record<string, unknown>;
    return completeLogin(context, request, reply, {
      provider, rule: { createAccounts: config.signup.enabled, unknownPerson: 'signup-disabled' }, maxAgeSeconds: config.cookie.maxAge,
    }, flow?.origin ?? NO_CLIENT, async () => {
      if (!flow) throw new AppError('invalid-request', 'no login flow in progress in this browser (missing, expired or forged flow cookie)');
      if (typeof query.error === 'string') throw new AppError('invalid-request', `the identity provider refused the login: ${query.error.slice(0, 100)}`);
      return provider.finish({ request, callbackUrl: callbackUrl(provider), state: flow.state });
    });
  };

  const startSchema = (name: string) => ({ schema: { tags: ['auth'], summary: `Sign in with ${name}: redirect to the provider`, querystring: StartQuery } });
  const callbackSchema = (name: string) => ({ schema: { tags: ['auth'], summary: `Return from ${name}: sign in and deliver the token` } });

  app.get('/auth/google', startSchema('Google'), async (request, reply) => start(request, reply, configured(google, 'Google', 'providers.google')));
  app.get('/auth/google/callback', callbackSchema('Google'), async (request, reply) => finish(request, reply, configured(google, 'Google', 'providers.google')));
  app.get('/auth/facebook', startSchema('Facebook'), async (request, reply) => start(request, reply, configured(facebook, 'Facebook', 'providers.facebook')));
  app.get('/auth/facebook/callback', callbackSchema('Facebook'), async (request, reply) => finish(request, reply, configured(facebook, 'Facebook', 'providers.facebook')));
  app.get('/auth/oidc/:id', { schema: { ...startSchema('an OpenID Connect provider').schema, params: OidcParams } }, async (request, reply) =>
    start(request, reply, configured(oidc.get(request.params.id), `OpenID Connect provider ${request.params.id}`, 'providers.oidc[].id'), [`oidc:${request.params.id}`]));
  app.get('/auth/oidc/:id/callback', { schema: { ...callbackSchema('an OpenID Connect provider').schema, params: OidcParams } }, async (request, reply) =>
    finish(request, reply, configured(oidc.get(request.params.id), `OpenID Connect provider ${request.params.id}`, 'providers.oidc[].id')));
};
