import type { FastifyReply, FastifyRequest } from 'fastify';
import { isClientCallbackOrigin, type Client } from '../clients/client.repository.js';
import { requireClient } from '../clients/client-rules.js';
import type { LoginCsrfDeps } from '../pages/form-token.js';
import { requireLoginCsrf } from '../pages/form-token.js';
import type { FieldErrors } from '../pages/forms.js';
import { pickLanguage, t } from '../pages/i18n.js';
import { pageHeadersAllowing } from '../pages/layout.js';
import type { Services } from '../services.js';

/**
 * What the login-CSRF rule (pages/form-token.ts) needs, with the registered clients' callback origins it lets post.
 * Why here: every session-starting form is a way in, and sign-in/ may ask the clients feature, pages/ may not.
 */
export function loginCsrfDeps(services: Services): LoginCsrfDeps {
  const { config, serverKey, random, database } = services;
  return { config, serverKey, random, isClientCallbackOrigin: (origin) => isClientCallbackOrigin(database.db, origin) };
}

/**
 * preValidation of a client's hosted form (login CSRF, form-token.ts): a foreign post without the page's form token
 * gets the form again (403) with "the form expired", drawn by that page's own `render`.
 */
export function requireClientLoginCsrf(
  services: Services,
  render: (request: FastifyRequest, reply: FastifyReply, client: Client, status: number, state: { errors: FieldErrors }) => FastifyReply,
) {
  return requireLoginCsrf(loginCsrfDeps(services), async (request, reply) => {
    const client = await requireClient(services, (request.query as Record<string, unknown>).clientID);
    return render(request, reply, client, 403, { errors: { form: [t(pickLanguage(request.headers['accept-language']), 'form.expired')] } });
  });
}

/** The login form's post ends in a redirect to the client's callback, which the page's CSP must allow. */
export function clientPageHeaders(client: Client): Record<string, string> {
  return pageHeadersAllowing([new URL(client.callbackURL).origin]);
}
