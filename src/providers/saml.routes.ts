import formbody from '@fastify/formbody';
import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '../http/errors.js';
import { clientForFlow, completeLogin, startFlow, type Completion, type ProviderContext } from './complete-login.js';
import { SamlProvider } from './saml.js';
import { OneTimeIds } from './one-time-ids.js';

/** SAML 2.0 service provider: AuthnRequest, ACS and SP metadata (seeds 001/004). */
export const samlRoutes: FastifyPluginAsync<{ context: ProviderContext }> = async (app, { context }) => {
  const { config, clock, random } = context.services;
  // Disabled: none of the routes exist (404).
  if (!config.saml.enabled) return;
  const provider = new SamlProvider(config, clock, random, new OneTimeIds(context.services.database.db));
  const completion: Completion = {
    provider,
    rule: { createAccounts: config.saml.userAutoProvisioning, unknownPerson: 'invalid-credentials' },
    successUrl: config.saml.redirectSuccessUrl,
    failureUrl: config.saml.redirectFailureUrl,
    maxAgeSeconds: config.saml.maxAge,
  };
  const callbackUrl = config.saml.assertionConsumerServiceUrl;

  // A signed SAMLResponse with certificates can be tens of kilobytes.
  await app.register(formbody, { bodyLimit: 512 * 1024 });

  app.get('/auth/saml', { schema: { hide: true } }, async (request, reply) => {
    const clientId = (request.query as Record<string, unknown> | undefined)?.clientID;
    if (clientId !== undefined && typeof clientId !== 'string') throw new AppError('invalid-request', 'clientID: must be a string');
    const client = await clientForFlow(context, clientId, provider);
    return startFlow(context, request, reply, provider, callbackUrl, client);
  });

  app.post('/auth/saml', { schema: { hide: true } }, async (request, reply) => {
    const flow = context.flows.read(request, provider.id);
    return completeLogin(context, request, reply, completion, flow?.clientId ?? null, async () => {
      if (!flow) throw new AppError('invalid-credentials', 'SAML response refused: no SAML login was started in this browser (flow cookie missing or expired)');
      return provider.finish({ request, callbackUrl, state: flow.state });
    });
  });

  app.get('/auth/saml/metadata', { schema: { hide: true } }, async (_request, reply) =>
    reply.header('content-type', 'application/samlmetadata+xml; charset=utf-8').header('cache-control', 'public, max-age=3600').send(provider.spMetadata()));
};
