import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { AccountAdminService } from '../accounts/account-admin.service.js';
import type { AccountView } from '../accounts/account.view.js';
import type { Config } from '../config/index.js';
import { AppError } from '../http/errors.js';
import { at } from './admin-messages.js';
import { adminPageErrors, sendAdminPage } from './admin-page.js';
import { apiKeyCreatedBody, apiKeyListBody, apiKeyRevokeBody, API_KEYS_PATH } from './api-keys-page.view.js';
import { consoleCaller, requireConsoleFormToken, type ConsoleAccessDeps, type ConsoleCaller } from './console-access.js';

/** API keys per page: few deployments have more than a handful. */
const KEYS_PER_PAGE = 50;
const DAY = 24 * 60 * 60 * 1000;

const ListQuery = Type.Object({
  // Checked in full by AccountAdminService (a 400 naming `after`); the schema keeps it short and URL-safe.
  after: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$' })),
  done: Type.Optional(Type.Literal('revoked')),
}, { additionalProperties: false });
const KeyParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
const NoFields = Type.Object({}, { additionalProperties: false });

/** What the API keys' pages use: the JSON API's account service, and the token lifetime to say. */
export interface ApiKeysConsoleDeps extends ConsoleAccessDeps {
  config: Config;
  accountAdmin: Pick<AccountAdminService, 'browse' | 'read' | 'createApiKey' | 'delete'>;
}

/**
 * `GET /admin/api-keys` and its actions, each the AccountAdminService call behind the JSON route that does the same,
 * with the caller as actor — so the permission, the rank and the audit event are the service's:
 *
 * | console | service call | JSON route | needs |
 * | --- | --- | --- | --- |
 * | list | browse `{type: 'apikey'}` | `GET /accounts?type=apikey` | `accounts:read` |
 * | create | createApiKey | `POST /accounts/create-anonymous` | `accounts:create-anonymous` |
 * | revoke | delete | `DELETE /accounts/{id}` | `accounts:delete`, rank |
 *
 * Why revoking deletes the key's account rather than ending its session: the JSON API has no "revoke a token" of its
 * own, and an API key is its account — ending the session would leave an account with no way to sign in listed as a
 * key. Deleting ends every session first (so the token fails at once) and is audited `account.deleted` with `by`.
 */
export const apiKeysPageRoutes: FastifyPluginAsync<ApiKeysConsoleDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const errorHandler = adminPageErrors(deps.serverKey);
  const preValidation = requireConsoleFormToken(deps.serverKey);
  const tags = ['admin console'];
  const send = (reply: Parameters<typeof sendAdminPage>[0], caller: ConsoleCaller, title: string, body: Parameters<typeof sendAdminPage>[1]['body'], status = 200) =>
    sendAdminPage(reply, { status, title, body, lang: caller.lang, caller, current: API_KEYS_PATH });

  app.get(API_KEYS_PATH, { errorHandler, schema: { tags, summary: 'The API keys (HTML; accounts:read)', querystring: ListQuery } }, async (request, reply) => {
    const caller = await consoleCaller(request, deps);
    const listed = await deps.accountAdmin.browse(caller.actor, { type: 'apikey' }, KEYS_PER_PAGE, request.query.after);
    const ttlDays = Math.round(deps.config.tokens.apiKeyTtl / DAY);
    const body = apiKeyListBody(caller, { items: listed.items, nextAfter: listed.more ? listed.after : undefined, ttlDays, revoked: request.query.done === 'revoked' });
    return send(reply, caller, at(caller.lang, 'apiKeys.title'), body);
  });

  app.post(API_KEYS_PATH, {
    errorHandler, preValidation, schema: { tags, summary: 'Create an API key; its token is shown on this answer only (accounts:create-anonymous)', body: NoFields },
  }, async (request, reply) => {
    const caller = await consoleCaller(request, deps);
    const key = await deps.accountAdmin.createApiKey(caller.actor);
    const { username } = await deps.accountAdmin.read(caller.actor, key.accountID);
    // An answer page, not a redirect: the token exists in clear only here (sendHtmlPage sends `Cache-Control: no-store`).
    return send(reply, caller, at(caller.lang, 'apiKeys.createdTitle'), apiKeyCreatedBody(caller, { ...key, username }), 201);
  });

  app.get(`${API_KEYS_PATH}/:id/revoke`, { errorHandler, schema: { tags, summary: 'Confirm revoking an API key (HTML; accounts:delete)', params: KeyParams } }, async (request, reply) => {
    const caller = await consoleCaller(request, deps);
    deps.accounts.requirePermission(caller.actor, 'accounts:delete');
    const key = await apiKey(deps, caller, request.params.id);
    return send(reply, caller, at(caller.lang, 'apiKeys.confirmTitle', { name: key.username }), apiKeyRevokeBody(caller, key));
  });

  app.post(`${API_KEYS_PATH}/:id/revoke`, {
    errorHandler, preValidation, schema: { tags, summary: 'Revoke an API key: delete its account and end its session (accounts:delete, rank)', params: KeyParams, body: NoFields },
  }, async (request, reply) => {
    const caller = await consoleCaller(request, deps);
    const key = await apiKey(deps, caller, request.params.id);
    await deps.accountAdmin.delete(caller.actor, key.id);
    return reply.redirect(`${API_KEYS_PATH}?done=revoked`, 303);
  });
};

/** The API key's account; any other account is not one of this page's (a person is deleted from the account page). */
async function apiKey(deps: ApiKeysConsoleDeps, caller: ConsoleCaller, id: string): Promise<AccountView> {
  const view = await deps.accountAdmin.read(caller.actor, id);
  if (view.type !== 'apikey') throw new AppError('not-found', 'no API key with this id');
  return view;
}
