import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Config } from '../config/index.js';
import type { Principal, PrincipalSource } from '../permissions/principal.js';
import { requireAuth } from '../http/authenticate.js';
import { curies, hal, halPage, sendHal } from '../http/hal.js';
import type { Client } from './client.repository.js';
import {
  ClientCreateBody, clientErrors, ClientList, ClientListQuery, ClientParams, ClientReplaceBody, ClientResource,
} from './client.schemas.js';
import type { ClientService } from './client.service.js';

const tags = ['clients'];
const SEEDED_NOTE = 'A client declared in the configuration (`clients`) can be changed or deleted here, but the next start writes the configured version back.';

/** What the client routes use: client registration and the permission check (clients:read / clients:write). */
export interface ClientRouteDeps {
  config: Config;
  clientAdmin: ClientService;
  accounts: Pick<PrincipalSource, 'principal'>;
}

/**
 * `GET|POST /clients`, `GET|PUT|DELETE /clients/{clientID}` (seed 000 "Client registration"; CONTRACT §5):
 * `clients:read` to see, `clients:write` to change. Answers are `application/hal+json`; the list embeds `ec:client`.
 */
export const clientRoutes: FastifyPluginAsync<ClientRouteDeps> = async (fastify, { config, clientAdmin: clients, accounts }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const base = config.server.baseUrl;
  const selfHref = (clientId: string) => `${base}/clients/${encodeURIComponent(clientId)}`;
  // A client without a name shows none (seed 000's shape stays as it was).
  const resource = ({ name, ...client }: Client) =>
    hal(name === null ? client : { ...client, name }, { self: { href: selfHref(client.clientID) }, collection: { href: `${base}/clients` }, curies: curies(base) });
  const actor = (request: FastifyRequest): Promise<Principal> => {
    const auth = requireAuth(request);
    return accounts.principal(auth.accountId, auth.sessionId);
  };

  app.get('/clients', {
    schema: { tags, summary: 'Registered clients, paged (clients:read)', querystring: ClientListQuery, response: { 200: ClientList, ...clientErrors } },
  }, async (request, reply) => {
    const page = await clients.list(await actor(request), request.query.page, request.query.size);
    return sendHal(reply, 200, halPage({ baseUrl: base, path: '/clients', query: {}, rel: 'ec:client', items: page.items.map(resource), total: page.total, page: page.page, size: page.size }));
  });

  app.post('/clients', {
    schema: {
      tags, summary: 'Register a client (clients:write)',
      description: 'tokenMethod is one of query, cookie, body or a list of them (default query); disableStrategies any of password, google, facebook, oidc, saml, cas, oidc:<id>. A taken clientID is 409.',
      body: ClientCreateBody, response: { 201: ClientResource, ...clientErrors },
    },
  }, async (request, reply) => {
    const client = await clients.create(await actor(request), request.body);
    reply.header('location', selfHref(client.clientID));
    return sendHal(reply, 201, resource(client));
  });

  app.get('/clients/:clientID', {
    schema: { tags, summary: 'One client (clients:read)', params: ClientParams, response: { 200: ClientResource, ...clientErrors } },
  }, async (request, reply) => sendHal(reply, 200, resource(await clients.get(await actor(request), request.params.clientID))));

  app.put('/clients/:clientID', {
    schema: {
      tags, summary: 'Replace a client’s callbackURL, config and name (clients:write)',
      description: `An omitted config returns to the defaults, an omitted name to none; a clientID in the body must match the path. ${SEEDED_NOTE}`,
      params: ClientParams, body: ClientReplaceBody, response: { 200: ClientResource, ...clientErrors },
    },
  }, async (request, reply) => sendHal(reply, 200, resource(await clients.replace(await actor(request), request.params.clientID, request.body))));

  app.delete('/clients/:clientID', {
    schema: {
      tags, summary: 'Delete a client (clients:write); its login and logout redirects stop at once',
      description: SEEDED_NOTE, params: ClientParams, response: { 204: Type.Null(), ...clientErrors },
    },
  }, async (request, reply) => {
    await clients.remove(await actor(request), request.params.clientID);
    return reply.code(204).send(null);
  });
};
