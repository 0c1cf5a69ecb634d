import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Config } from '../config/index.js';
import type { Principal, PrincipalSource } from '../permissions/principal.js';
import { requireAuth } from '../http/authenticate.js';
import { curies, hal, halPage, sendHal } from '../http/hal.js';
import type { Client } from './client.repository.js';
import {
  ClientChanged, ClientCreateBody, clientErrors, ClientList, ClientListQuery, ClientParams, ClientReplaceBody, ClientResource, ClientWithNewSecret,
} from './client.schemas.js';
import type { ClientChange, ClientService } from './client.service.js';

const tags = ['clients'];
const OIDC_NOTE = 'Any OpenID field (redirectUris, postLogoutRedirectUris, grantTypes, tokenEndpointAuthMethod, scopes, firstParty, backchannelLogoutUri, jwks, jwksUri) makes it an OpenID client, the others taking their defaults; one that authenticates with a secret (client_secret_basic, client_secret_post) gets it generated and answered as clientSecret, this once.';
const SEEDED_NOTE = 'A client declared in the configuration (`clients`) can be changed or deleted here, but the next start writes the configured version back.';

/** What the client routes use: client registration and the permission check (clients:read / clients:write). */
export interface ClientRouteDeps {
  config: Config;
  clientAdmin: ClientService;
  accounts: Pick<PrincipalSource, 'principal'>;
}

/**
 * `GET|POST /clients`, `GET|PUT|DELETE /clients/{clientID}` (seed 000 "Client registration"; CONTRACT §5) and
 * `POST /clients/{clientID}/secret` (the OpenID client secret's rotation): `clients:read` to see, `clients:write` to
 * change. Answers are `application/hal+json`; the list embeds `ec:client`. A generated secret is in the answer
 * that made it and nowhere else.
 */
export const clientRoutes: FastifyPluginAsync<ClientRouteDeps> = async (fastify, { config, clientAdmin: clients, accounts }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const base = config.server.baseUrl;
  const selfHref = (clientId: string) => `${base}/clients/${encodeURIComponent(clientId)}`;
  // A client without a name shows none, a client without OpenID fields none of them (seed 000's shape stays as it was).
  const resource = ({ name, oidc, ...client }: Client) =>
    hal({ ...client, ...(name === null ? {} : { name }), ...oidc }, { self: { href: selfHref(client.clientID) }, collection: { href: `${base}/clients` }, curies: curies(base) });
  /** A change's answer: a generated secret is added once, and no cache may keep it (RFC 6749 §5.1's rule for credentials). */
  const changed = (reply: FastifyReply, status: number, { client, clientSecret }: ClientChange) => {
    if (clientSecret === null) return sendHal(reply, status, resource(client));
    reply.header('cache-control', 'no-store');
    return sendHal(reply, status, { ...resource(client), clientSecret });
  };
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
      description: `tokenMethod is one of query, cookie, body or a list of them (default query); disableStrategies any of password, google, facebook, oidc, saml, cas, oidc:<id>. A taken clientID is 409. ${OIDC_NOTE}`,
      body: ClientCreateBody, response: { 201: ClientChanged, ...clientErrors },
    },
  }, async (request, reply) => {
    const created = await clients.create(await actor(request), request.body);
    reply.header('location', selfHref(created.client.clientID));
    return changed(reply, 201, created);
  });

  app.get('/clients/:clientID', {
    schema: { tags, summary: 'One client (clients:read)', params: ClientParams, response: { 200: ClientResource, ...clientErrors } },
  }, async (request, reply) => sendHal(reply, 200, resource(await clients.get(await actor(request), request.params.clientID))));

  app.put('/clients/:clientID', {
    schema: {
      tags, summary: 'Replace a client’s callbackURL, config, name and OpenID fields (clients:write)',
      description: `An omitted config returns to the defaults, an omitted name to none, omitting every OpenID field makes the client a seed-000 client again; a clientID in the body must match the path. A client that now authenticates with a secret and has none gets one, answered as clientSecret this once; an existing secret is kept and never shown. ${SEEDED_NOTE}`,
      params: ClientParams, body: ClientReplaceBody, response: { 200: ClientChanged, ...clientErrors },
    },
  }, async (request, reply) => changed(reply, 200, await clients.replace(await actor(request), request.params.clientID, request.body)));

  app.post('/clients/:clientID/secret', {
    schema: {
      tags, summary: 'Rotate an OpenID client’s secret (clients:write)',
      description: 'Generates a new client secret and answers it once (clientSecret); the previous secret stops working at once. 409 for a client that authenticates without a secret (none, private_key_jwt) or is no OpenID client. For a configured client whose file gives clientSecret, the next start writes the file’s secret back.',
      params: ClientParams, response: { 200: ClientWithNewSecret, ...clientErrors },
    },
  }, async (request, reply) => changed(reply, 200, await clients.rotateSecret(await actor(request), request.params.clientID)));

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
