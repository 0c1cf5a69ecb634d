import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { findClient, type Client } from '../clients/client.repository.js';
import { deliverToken } from '../clients/token-delivery.js';
import { clientInfo } from '../http/authenticate.js';
import { AppError, invalidField } from '../http/errors.js';
import { toProblem } from '../http/problem.js';
import type { Services } from '../services.js';
import { html, page, pageHeadersAllowing } from './layout.js';

const ClientQuery = Type.Object({ clientID: Type.Optional(Type.String({ maxLength: 128 })) });
const LoginForm = Type.Object(
  { email: Type.String({ minLength: 1, maxLength: 254, pattern: '^[^\\u0000-\\u001f\\u007f]*$' }), password: Type.String({ minLength: 1 }) },
  { additionalProperties: false },
);

/**
 * The hosted login of seed 000: `GET /auth/login?clientID=` renders the form, `POST` checks the password (the same
 * door as every password login: lockout, password-login control) and delivers a token to the client.
 */
export const loginPageRoutes: FastifyPluginAsync<{ services: Services }> = async (fastify, { services }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  await app.register(formbody, { bodyLimit: 16 * 1024 });

  app.get('/auth/login', { schema: { tags: ['pages'], summary: 'Hosted login page of a client', querystring: ClientQuery } }, async (request, reply) => {
    const client = await requireClient(services, request.query.clientID);
    return reply.code(200).headers(clientPageHeaders(client)).send(page('Log in', loginForm(client)));
  });

  app.post('/auth/login', {
    schema: { tags: ['pages'], summary: 'Log in for a client; delivers the token by its tokenMethod', querystring: ClientQuery, body: LoginForm },
  }, async (request, reply) => {
    const client = await requireClient(services, request.query.clientID);
    try {
      if (client.config.disableStrategies.includes('password')) throw new AppError('login-method-disabled', 'this client does not accept passwords');
      const account = await services.logins.verifyPassword(request.body.email, request.body.password, request.ip);
      services.logins.assertConfirmed(account);
      const issued = await services.logins.clientToken(account, client.clientID, clientInfo(request));
      return deliverToken(request, reply, services.config, client, issued);
    } catch (error) {
      if (isForm(request) && error instanceof AppError && error.status < 500) return renderFailure(reply, client, error);
      throw error;
    }
  });
};

async function requireClient(services: Services, clientId: string | undefined): Promise<Client> {
  if (!clientId) throw invalidField('clientID', 'is required');
  const client = await findClient(services.database.db, clientId);
  if (!client) throw invalidField('clientID', 'is not a registered client');
  return client;
}

function isForm(request: FastifyRequest): boolean {
  return /application\/x-www-form-urlencoded/i.test(request.headers['content-type'] ?? '');
}

/** A person who typed a wrong password sees the form again with the reason, and the same status an API caller gets. */
function renderFailure(reply: FastifyReply, client: Client, error: AppError): FastifyReply {
  const { problem, headers } = toProblem(error);
  const message = error.code === 'invalid-credentials' ? 'Wrong e-mail or password.' : problem.detail;
  return reply.code(problem.status).headers({ ...headers, ...clientPageHeaders(client) }).send(page('Log in', loginForm(client, message)));
}

/** The login form's post ends in a redirect to the client's callback, which the page's CSP must allow. */
export function clientPageHeaders(client: Client): Record<string, string> {
  return pageHeadersAllowing([new URL(client.callbackURL).origin]);
}

function loginForm(client: Client, error?: string) {
  const passwordEnabled = !client.config.disableStrategies.includes('password');
  return html`${error ? html`<p class="error">${error}</p>` : ''}
${passwordEnabled ? html`<form method="post" action="/auth/login?clientID=${encodeURIComponent(client.clientID)}">
<label>E-mail or user name <input name="email" autocomplete="username" required></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">Log in</button>
</form>` : html`<p>Password login is not available for this application.</p>`}`;
}
