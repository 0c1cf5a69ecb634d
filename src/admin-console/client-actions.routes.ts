import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { at, type AdminMessageKey } from './admin-messages.js';
import { sendAdminPage } from './admin-page.js';
import { clientInput, ClientForm, postedForm, serviceErrors, withRuleErrors, withSummary, type ClientFormState } from './client-form.js';
import { ClientPageParams, clientPageErrors, clientsCaller, WRITE, type ClientConsoleDeps } from './client-page.data.js';
import { clientForm, clientPath, CLIENTS_PATH, secretBody } from './client.view.js';
import { requireConsoleFormToken, type ConsoleCaller } from './console-access.js';

const EmptyForm = Type.Object({}, { additionalProperties: false });
/**
 * The client form's largest post: 20 redirect URIs of 2 KB and a JWK Set exceed the console's 16 KiB default
 * (admin-console.routes.ts); the form's schema bounds each field.
 */
const FORM_BODY_LIMIT = 256 * 1024;

/**
 * The console's changes to clients, each one ClientService call with the caller as actor — the call `POST /clients`,
 * `PUT /clients/{clientID}`, `POST /clients/{clientID}/secret` and `DELETE /clients/{clientID}` make — so the rules
 * (clients:write, the OpenID field rules, no permission scope the caller does not hold) and the audit events
 * (`client.created|updated|secret-rotated|deleted`, with the caller as `by`) are the service's. Each post carries the
 * session's form token; a form with errors comes back with them next to their field and nothing saved. A generated
 * secret is shown on the answer page, this once; nothing else keeps it in clear.
 */
export const clientActionRoutes: FastifyPluginAsync<ClientConsoleDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const errorHandler = clientPageErrors(deps.serverKey);
  const preValidation = requireConsoleFormToken(deps.serverKey);
  const tags = ['admin console'];
  const params = ClientPageParams;

  app.post(CLIENTS_PATH, {
    errorHandler, preValidation, attachValidation: true, bodyLimit: FORM_BODY_LIMIT,
    schema: { tags, summary: 'Register a client, as POST /clients (clients:write)', body: ClientForm },
  }, async (request, reply) => {
    const caller = await clientsCaller(request, deps, WRITE);
    const { lang } = caller;
    const state = postedForm(lang, request);
    const again = (status: number, errors: ClientFormState['errors']) =>
      sendForm(reply, caller, status, at(lang, 'client.newTitle'), CLIENTS_PATH, 'client.create', { values: state.values, errors: withSummary(lang, errors) });
    const input = clientInput(lang, state.values, state.errors);
    if (Object.keys(state.errors).length) return again(400, withRuleErrors(lang, state.values, input, state.errors, { checkId: true }));
    try {
      const { client, clientSecret } = await deps.clientAdmin.create(caller.actor, input);
      if (clientSecret === null) return reply.redirect(`${clientPath(client.clientID)}?done=created`, 303);
      return sendSecret(reply, caller, 201, 'secret.createdTitle', client.clientID, clientSecret, false);
    } catch (error) {
      const refused = serviceErrors(lang, state.values, error);
      return again(refused.status, refused.errors);
    }
  });

  app.post(`${CLIENTS_PATH}/:clientID`, {
    errorHandler, preValidation, attachValidation: true, bodyLimit: FORM_BODY_LIMIT,
    schema: { tags, summary: 'Change a client, as PUT /clients/{clientID} (clients:write)', params, body: ClientForm },
  }, async (request, reply) => {
    const caller = await clientsCaller(request, deps, WRITE);
    const { lang } = caller;
    const id = request.params.clientID;
    const state = postedForm(lang, request);
    // A client cannot be renamed: the id is the path's, whatever a hand-made form says.
    const values = { ...state.values, clientID: id };
    const again = (status: number, errors: ClientFormState['errors']) =>
      sendForm(reply, caller, status, at(lang, 'client.editTitle', { id }), clientPath(id), 'client.save', { values, errors: withSummary(lang, errors) });
    const input = clientInput(lang, values, state.errors);
    if (Object.keys(state.errors).length) return again(400, withRuleErrors(lang, values, input, state.errors, { checkId: false }));
    try {
      const { clientSecret } = await deps.clientAdmin.replace(caller.actor, id, input);
      // A client that now authenticates with a secret and had none gets one: shown here, this once.
      if (clientSecret !== null) return sendSecret(reply, caller, 200, 'secret.savedTitle', id, clientSecret, false);
      return reply.redirect(`${clientPath(id)}?done=saved`, 303);
    } catch (error) {
      const refused = serviceErrors(lang, values, error);
      return again(refused.status, refused.errors);
    }
  });

  app.post(`${CLIENTS_PATH}/:clientID/secret`, {
    errorHandler, preValidation, schema: { tags, summary: 'Rotate a client’s secret, as POST /clients/{clientID}/secret (clients:write)', params, body: EmptyForm },
  }, async (request, reply) => {
    const caller = await clientsCaller(request, deps, WRITE);
    const { client, clientSecret } = await deps.clientAdmin.rotateSecret(caller.actor, request.params.clientID);
    return sendSecret(reply, caller, 200, 'secret.rotatedTitle', client.clientID, clientSecret!, true);
  });

  app.post(`${CLIENTS_PATH}/:clientID/delete`, {
    errorHandler, preValidation, schema: { tags, summary: 'Delete a client, as DELETE /clients/{clientID} (clients:write)', params, body: EmptyForm },
  }, async (request, reply) => {
    const caller = await clientsCaller(request, deps, WRITE);
    await deps.clientAdmin.remove(caller.actor, request.params.clientID);
    return reply.redirect(`${CLIENTS_PATH}?done=deleted`, 303);
  });
};

function sendForm(reply: FastifyReply, caller: ConsoleCaller, status: number, title: string, action: string, submit: 'client.create' | 'client.save', state: ClientFormState): FastifyReply {
  return sendAdminPage(reply, { status, title, body: clientForm(caller, action, submit, state), lang: caller.lang, caller, current: CLIENTS_PATH });
}

function sendSecret(reply: FastifyReply, caller: ConsoleCaller, status: number, title: AdminMessageKey, clientId: string, secret: string, rotated: boolean): FastifyReply {
  const { lang } = caller;
  return sendAdminPage(reply, { status, title: at(lang, title, { id: clientId }), body: secretBody(caller, clientId, secret, rotated), lang, caller, current: CLIENTS_PATH });
}
