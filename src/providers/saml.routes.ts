import formbody from '@fastify/formbody';
import type { FastifyPluginAsync } from 'fastify';
import { AppError, invalidField } from '../http/errors.js';
import { completeLogin, type Completion, type ProviderContext } from './complete-login.js';
import { flowOriginOf, NO_CLIENT } from './flow-origin.js';
import { sendToProvider } from './provider-redirect.js';
import type { SamlCompletion } from './saml-completions.js';

/** Where the ACS sends the browser on (from a page of ours) to redeem a validated Response. */
export const SAML_FINISH_PATH = '/auth/saml/finish';

/**
 * SAML 2.0 service provider: AuthnRequest, ACS, finish and SP metadata (seeds 001/004). No flow cookie: the Response
 * comes back by a cross-site POST that carries no Lax or Strict cookie, so the pending AuthnRequest lives in the
 * database and is found again by its RelayState (CONTRACT §5). That POST cannot tell whose browser sent it, so the
 * ACS only parks the verified identity; the login starts at the finish route, which the browser reaches from our own
 * page carrying the browser-binding cookie of `GET /auth/saml` (login CSRF).
 */
export const samlRoutes: FastifyPluginAsync<{ context: ProviderContext }> = async (app, { context }) => {
  const { config } = context.deps;
  // Disabled: none of the routes exist (404).
  if (!context.providers.saml) return;
  const { provider, completions, binding } = context.providers.saml;
  const completion: Completion = {
    provider,
    rule: { createAccounts: config.saml.userAutoProvisioning, unknownPerson: 'invalid-credentials' },
    successUrl: config.saml.redirectSuccessUrl,
    failureUrl: config.saml.redirectFailureUrl,
    maxAgeSeconds: config.saml.maxAge,
    flowCookie: false,
  };
  const callbackUrl = config.saml.assertionConsumerServiceUrl;
  const finishUrl = `${config.server.baseUrl}${SAML_FINISH_PATH}`;
  const landing = (target: string | null): Completion => (target ? { ...completion, successUrl: target } : completion);

  // A signed SAMLResponse with certificates can be tens of kilobytes.
  await app.register(formbody, { bodyLimit: 512 * 1024 });

  // No HEAD twins of the two GETs that change state: a HEAD would store a request outside the rate limit (keyed by
  // method) or spend a finish code.
  app.get('/auth/saml', { schema: { hide: true }, exposeHeadRoute: false }, async (request, reply) => {
    const origin = await flowOriginOf(context.deps.clients, request, [provider.strategy]);
    const redirect = await provider.begin(origin, binding.bind(request, reply));
    return sendToProvider(reply, redirect);
  });

  app.post('/auth/saml', { schema: { hide: true } }, async (request, reply) => {
    const relayState = (request.body as Record<string, unknown> | undefined)?.RelayState;
    if (relayState !== undefined && typeof relayState !== 'string') throw invalidField('RelayState', 'must be a string');
    // Taken before anything is checked: a RelayState is answered once, whatever the Response holds.
    const pending = await provider.pendingFor(relayState);
    const verify = () => provider.finish({ request, callbackUrl, state: pending ? { requestId: pending.requestId } : {} });
    // Unsolicited (only with saml.allowIdpInitiated): no browser started it, none to bind to; logs in right here.
    if (!pending) return completeLogin(context, request, reply, completion, NO_CLIENT, verify);
    const hold = async (identity: SamlCompletion['identity']) => {
      const code = await completions.park({ identity, origin: pending.origin, target: pending.target, bindingHash: pending.bindingHash });
      return `${finishUrl}?code=${code}`;
    };
    return completeLogin(context, request, reply, { ...landing(pending.target), hold }, pending.origin, verify);
  });

  app.get(SAML_FINISH_PATH, { schema: { hide: true }, exposeHeadRoute: false }, async (request, reply) => {
    const code = (request.query as Record<string, unknown> | undefined)?.code;
    if (typeof code !== 'string' || code === '') throw invalidField('code', code === undefined || code === '' ? 'is required' : 'must be a string');
    // Taken before the binding is checked: a code is redeemed once, by whichever browser comes first.
    const parked = await completions.take(code);
    binding.clear(reply);
    return completeLogin(context, request, reply, landing(parked?.target ?? null), parked?.origin ?? NO_CLIENT, async () => {
      if (!parked) throw new AppError('invalid-credentials', 'SAML login refused: unknown, already used or expired finish code');
      if (!binding.matches(request, parked.bindingHash)) throw new AppError('invalid-credentials', 'SAML login refused: this browser did not start the login');
      return parked.identity;
    });
  });

  app.get('/auth/saml/metadata', { schema: { hide: true } }, async (_request, reply) =>
    reply.header('content-type', 'application/samlmetadata+xml; charset=utf-8').header('cache-control', 'public, max-age=3600').send(provider.spMetadata()));
};
