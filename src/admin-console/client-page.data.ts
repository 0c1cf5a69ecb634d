import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ClientService } from '../clients/client.service.js';
import { ClientParams } from '../clients/client.schemas.js';
import type { Config } from '../config/index.js';
import { usesClientSecret } from '../config/oidc-client-fields.js';
import { AppError } from '../http/errors.js';
import { prefersHtml } from '../pages/error-page.js';
import { sessionFormToken } from '../pages/form-token.js';
import { pickLanguage } from '../pages/i18n.js';
import { html } from '../pages/layout.js';
import { at } from './admin-messages.js';
import { adminPageErrors, sendAdminPage } from './admin-page.js';
import { scopesAbove } from './client-form.js';
import { clientPageBody, CLIENTS_PATH, type ClientPage } from './client.view.js';
import { consoleCaller, may, type ConsoleAccessDeps, type ConsoleCaller } from './console-access.js';

/** The path parameter of a client's pages: the JSON API's (a configured client may carry any printable id). */
export const ClientPageParams = Type.Object({ clientID: ClientParams.properties.clientID }, { additionalProperties: false });
export const READ = 'clients:read';
export const WRITE = 'clients:write';

/** What the client pages use: ClientService (behind `/clients`) and the configuration (which clients the file declares). */
export interface ClientConsoleDeps extends ConsoleAccessDeps {
  config: Config;
  clientAdmin: Pick<ClientService, 'list' | 'get' | 'create' | 'replace' | 'rotateSecret' | 'remove'>;
}

/** Refuses, as ClientService would, a caller without `permission` — before a form is shown that could only fail. */
export function requireClients(caller: ConsoleCaller, permission: string): void {
  if (!may(caller, permission)) throw new AppError('forbidden', `requires permission ${permission}`);
}

/** The console caller of a client page, refused without `clients:read` (every client page shows a client). */
export async function clientsCaller(request: FastifyRequest, deps: ClientConsoleDeps, permission = READ): Promise<ConsoleCaller> {
  const caller = await consoleCaller(request, deps);
  requireClients(caller, permission);
  return caller;
}

/**
 * A client's page data: the client (ClientService.get, with the caller as actor) and what the caller may do there —
 * the service's own rules (clients:write; no change or re-keying of a client allowed permissions the caller does not
 * hold; a secret only for a client that authenticates with one), so the page offers no button that must fail.
 */
export async function loadClientPage(deps: ClientConsoleDeps, caller: ConsoleCaller, clientId: string): Promise<ClientPage> {
  const client = await deps.clientAdmin.get(caller.actor, clientId);
  const above = scopesAbove(caller.actor, client);
  const write = may(caller, WRITE);
  return {
    client, above,
    configured: deps.config.clients.some((configured) => configured.clientID === client.clientID),
    can: { edit: write && !above.length, rotate: write && !above.length && usesClientSecret(client.oidc), delete: write },
  };
}

export function sendClientPage(reply: FastifyReply, caller: ConsoleCaller, page: ClientPage): FastifyReply {
  return sendAdminPage(reply, { title: page.client.clientID, body: clientPageBody(caller, page), lang: caller.lang, caller, current: CLIENTS_PATH });
}

/**
 * The client pages' error handler: the console's (adminPageErrors), except that a missing client is a page saying so
 * with the way back to the clients — the shared page speaks of accounts.
 */
export function clientPageErrors(serverKey: string) {
  const consoleErrors = adminPageErrors(serverKey);
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (!(error instanceof AppError && error.code === 'not-found' && /^no client /.test(error.message) && prefersHtml(request))) return consoleErrors(error, request, reply);
    const lang = pickLanguage(request.headers['accept-language']);
    const auth = request.auth?.kind === 'cookie' ? request.auth : null;
    const body = html`<p class="error" role="alert">${at(lang, 'clientError.notFound')}</p><p><a href="${CLIENTS_PATH}">${at(lang, 'clientError.back')}</a></p>`;
    return sendAdminPage(reply, { status: 404, title: at(lang, 'error.title.notFound'), body, lang, signOutToken: auth ? sessionFormToken(serverKey, auth.sessionId) : undefined });
  };
}
