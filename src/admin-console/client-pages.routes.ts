import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../http/errors.js';
import { at } from './admin-messages.js';
import { sendAdminPage } from './admin-page.js';
import { clientActionRoutes } from './client-actions.routes.js';
import { clientValues, newClientValues } from './client-form.js';
import { ClientPageParams, clientPageErrors, clientsCaller, loadClientPage, sendClientPage, WRITE, type ClientConsoleDeps } from './client-page.data.js';
import { clientForm, clientListBody, clientPath, CLIENTS_PATH, confirmBody, NEW_CLIENT_PATH } from './client.view.js';
import { may } from './console-access.js';

/** Clients per page: a deployment has a handful of applications, rarely hundreds. */
const CLIENTS_PER_PAGE = 100;
const ListQuery = Type.Object({ page: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })), done: Type.Optional(Type.Literal('deleted')) }, { additionalProperties: false });
const ClientQuery = Type.Object({ done: Type.Optional(Type.Union([Type.Literal('created'), Type.Literal('saved')])) }, { additionalProperties: false });

/**
 * `GET /admin/clients` (`clients:read`), a client's page, the forms of a new client and of a change, and the
 * confirmations of a secret's rotation and of a deletion. Every read is ClientService's, with the caller as actor, so
 * the pages show what `GET /clients` would; the changes (client-actions.routes.ts) are its changes, with its rules.
 */
export const clientPageRoutes: FastifyPluginAsync<ClientConsoleDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const errorHandler = clientPageErrors(deps.serverKey);
  const tags = ['admin console'];
  const params = ClientPageParams;

  app.get(CLIENTS_PATH, { errorHandler, schema: { tags, summary: 'The admin console’s clients (HTML; clients:read)', querystring: ListQuery } }, async (request, reply) => {
    const caller = await clientsCaller(request, deps);
    const page = request.query.page ?? 1;
    const { items, total } = await deps.clientAdmin.list(caller.actor, page, CLIENTS_PER_PAGE);
    const next = page * CLIENTS_PER_PAGE < total ? `${CLIENTS_PATH}?page=${page + 1}` : null;
    const body = clientListBody(caller, items, next, may(caller, WRITE), request.query.done === 'deleted');
    return sendAdminPage(reply, { title: at(caller.lang, 'clients.title'), body, lang: caller.lang, caller, current: CLIENTS_PATH });
  });

  app.get(NEW_CLIENT_PATH, { errorHandler, schema: { tags, summary: 'The form of a new client (HTML; clients:write)' } }, async (request, reply) => {
    const caller = await clientsCaller(request, deps, WRITE);
    const body = clientForm(caller, CLIENTS_PATH, 'client.create', { values: newClientValues(), errors: {} });
    return sendAdminPage(reply, { title: at(caller.lang, 'client.newTitle'), body, lang: caller.lang, caller, current: CLIENTS_PATH });
  });

  app.get(`${CLIENTS_PATH}/:clientID`, { errorHandler, schema: { tags, summary: 'One client in the admin console (HTML; clients:read)', params, querystring: ClientQuery } }, async (request, reply) => {
    const caller = await clientsCaller(request, deps);
    const page = await loadClientPage(deps, caller, request.params.clientID);
    return sendClientPage(reply, caller, { ...page, done: request.query.done });
  });

  app.get(`${CLIENTS_PATH}/:clientID/edit`, { errorHandler, schema: { tags, summary: 'The form of a change to a client (HTML; clients:write)', params } }, async (request, reply) => {
    const caller = await clientsCaller(request, deps, WRITE);
    const page = await loadClientPage(deps, caller, request.params.clientID);
    if (!page.can.edit) throw aboveRank(page.above);
    const id = page.client.clientID;
    const body = clientForm(caller, clientPath(id), 'client.save', { values: clientValues(page.client), errors: {} });
    return sendAdminPage(reply, { title: at(caller.lang, 'client.editTitle', { id }), body, lang: caller.lang, caller, current: CLIENTS_PATH });
  });

  app.get(`${CLIENTS_PATH}/:clientID/secret`, { errorHandler, schema: { tags, summary: 'Confirm rotating a client’s secret (HTML; clients:write)', params } }, async (request, reply) => {
    const caller = await clientsCaller(request, deps, WRITE);
    const page = await loadClientPage(deps, caller, request.params.clientID);
    if (page.above.length) throw aboveRank(page.above);
    if (!page.can.rotate) throw new AppError('conflict', 'this client authenticates without a secret: it has no secret to rotate');
    const id = page.client.clientID;
    const body = confirmBody(caller, id, `${clientPath(id)}/secret`, 'rotate.text', 'rotate.submit');
    return sendAdminPage(reply, { title: at(caller.lang, 'rotate.title', { id }), body, lang: caller.lang, caller, current: CLIENTS_PATH });
  });

  app.get(`${CLIENTS_PATH}/:clientID/delete`, { errorHandler, schema: { tags, summary: 'Confirm deleting a client (HTML; clients:write)', params } }, async (request, reply) => {
    const caller = await clientsCaller(request, deps, WRITE);
    const { client } = await loadClientPage(deps, caller, request.params.clientID);
    const body = confirmBody(caller, client.clientID, `${clientPath(client.clientID)}/delete`, 'clientDelete.text', 'clientDelete.submit');
    return sendAdminPage(reply, { title: at(caller.lang, 'clientDelete.title', { id: client.clientID }), body, lang: caller.lang, caller, current: CLIENTS_PATH });
  });

  await app.register(clientActionRoutes, deps);
};

/** ClientService's refusal of a client allowed permissions the caller does not hold, in its own words. */
function aboveRank(above: string[]): AppError {
  return new AppError('forbidden', `scopes: the client allows permissions you do not hold (${above.join(', ')})`);
}
