import { createHash } from 'node:crypto';
import formbody from '@fastify/formbody';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { invalidField } from '../http/errors.js';
import { clientForFlow, completeLogin, type Completion, type ProviderContext } from './complete-login.js';
import type { FlowStart } from './provider.js';
import { SamlProvider } from './saml.js';
import { SamlRequests } from './saml-requests.js';
import { OneTimeIds } from './one-time-ids.js';

/**
 * SAML 2.0 service provider: AuthnRequest, ACS and SP metadata (seeds 001/004). No flow cookie: the Response comes
 * back by a cross-site POST that carries no Lax or Strict cookie, so the pending AuthnRequest lives in the database
 * and is found again by its RelayState (CONTRACT §5).
 */
export const samlRoutes: FastifyPluginAsync<{ context: ProviderContext }> = async (app, { context }) => {
  const { config, clock, random, database } = context.services;
  // Disabled: none of the routes exist (404).
  if (!config.saml.enabled) return;
  const provider = new SamlProvider(config, clock, random, new OneTimeIds(database.db), new SamlRequests(database.db, clock));
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
    if (clientId !== undefined && typeof clientId !== 'string') throw invalidField('clientID', 'must be a string');
    const client = await clientForFlow(context, clientId, provider);
    return sendToIdp(reply, await provider.begin(client?.clientID ?? null));
  });

  app.post('/auth/saml', { schema: { hide: true } }, async (request, reply) => {
    const relayState = (request.body as Record<string, unknown> | undefined)?.RelayState;
    if (relayState !== undefined && typeof relayState !== 'string') throw invalidField('RelayState', 'must be a string');
    // Taken before anything is checked: a RelayState is answered once, whatever the Response holds.
    const pending = await provider.pendingFor(relayState);
    const landing = pending?.target ? { ...completion, successUrl: pending.target } : completion;
    return completeLogin(context, request, reply, landing, pending?.clientId ?? null, () =>
      provider.finish({ request, callbackUrl, state: pending ? { requestId: pending.requestId } : {} }));
  });

  app.get('/auth/saml/metadata', { schema: { hide: true } }, async (_request, reply) =>
    reply.header('content-type', 'application/samlmetadata+xml; charset=utf-8').header('cache-control', 'public, max-age=3600').send(provider.spMetadata()));
};

const AUTO_SUBMIT = 'document.forms[0].submit()';
/** The page's only script is allowed by its hash (CSP), so nothing injected could run. */
const AUTO_SUBMIT_HASH = createHash('sha256').update(AUTO_SUBMIT).digest('base64');

/** Sends the browser to the IdP: a redirect (HTTP-Redirect binding) or a page that posts the AuthnRequest (HTTP-POST). */
function sendToIdp(reply: FastifyReply, redirect: FlowStart['redirect']): FastifyReply {
  if ('url' in redirect) return reply.redirect(redirect.url, 302);
  const { action, fields } = redirect.form;
  const inputs = Object.entries(fields).map(([name, value]) => `<input type="hidden" name="${escapeAttr(name)}" value="${escapeAttr(value)}">`).join('');
  return reply.code(200).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store')
    .header('content-security-policy', `default-src 'none'; script-src 'sha256-${AUTO_SUBMIT_HASH}'; form-action ${new URL(action).origin}`)
    .send(`<!doctype html><html><body><form method="post" action="${escapeAttr(action)}">${inputs}<noscript><button type="submit">Continue</button></noscript></form><script>${AUTO_SUBMIT}</script></body></html>`);
}

function escapeAttr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
