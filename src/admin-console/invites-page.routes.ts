import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { InviteService } from '../invites/invite.service.js';
import type { SafeHtml } from '../pages/layout.js';
import { at } from './admin-messages.js';
import { adminPageErrors, sendAdminPage } from './admin-page.js';
import { consoleCaller, requireConsoleFormToken, type ConsoleAccessDeps, type ConsoleCaller } from './console-access.js';
import { inviteListBody, inviteRevokeBody, invitesCreatedBody, INVITES_PATH } from './invites-page.view.js';

/** Invites per page. */
const INVITES_PER_PAGE = 50;

const ListQuery = Type.Object({
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  done: Type.Optional(Type.Literal('revoked')),
}, { additionalProperties: false });
// `invite`, not `id`: the console's error page links an `id` parameter back to an account (admin-page.ts).
const InviteParams = Type.Object({ invite: Type.String({ format: 'uuid' }) });
// A form's fields are text; InviteService checks the range and names `count` (1 to MAX_INVITES_PER_REQUEST).
const CreateForm = Type.Object({ count: Type.String({ minLength: 1, maxLength: 3, pattern: '^[0-9]+$' }) }, { additionalProperties: false });
const NoFields = Type.Object({}, { additionalProperties: false });

/** What the invites' pages use: the JSON API's invite service. */
export interface InvitesConsoleDeps extends ConsoleAccessDeps {
  invites: Pick<InviteService, 'listUnused' | 'findUnused' | 'create' | 'revoke'>;
}

/**
 * `GET /admin/invites` and its actions, each the InviteService call behind the JSON route that does the same, after
 * the same permission check that route makes:
 *
 * | console | service call | JSON route | needs |
 * | --- | --- | --- | --- |
 * | list | listUnused | `GET /invites` | `invites:read` |
 * | withdraw (confirm) | findUnused | `GET /invites/{id}` | `invites:read`, then `invites:write` |
 * | create | create | `POST /invites {count}` | `invites:write` |
 * | withdraw | revoke | `DELETE /invites/{id}` | `invites:write` |
 *
 * The service audits `invite.created` and `invite.revoked` with the caller as `by`, for the console and the API alike.
 */
export const invitesPageRoutes: FastifyPluginAsync<InvitesConsoleDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const errorHandler = adminPageErrors(deps.serverKey);
  const preValidation = requireConsoleFormToken(deps.serverKey);
  const tags = ['admin console'];
  const send = (reply: Parameters<typeof sendAdminPage>[0], caller: ConsoleCaller, title: string, body: SafeHtml, status = 200) =>
    sendAdminPage(reply, { status, title, body, lang: caller.lang, caller, current: INVITES_PATH });
  const permitted = async (request: Parameters<typeof consoleCaller>[0], permission: string) => {
    const caller = await consoleCaller(request, deps);
    deps.accounts.requirePermission(caller.actor, permission);
    return caller;
  };

  app.get(INVITES_PATH, { errorHandler, schema: { tags, summary: 'The unused invites (HTML; invites:read)', querystring: ListQuery } }, async (request, reply) => {
    const caller = await permitted(request, 'invites:read');
    const page = request.query.page ?? 1;
    const { items, total } = await deps.invites.listUnused((page - 1) * INVITES_PER_PAGE, INVITES_PER_PAGE);
    const previous = page > 1 ? `${INVITES_PATH}?page=${page - 1}` : null;
    const next = page * INVITES_PER_PAGE < total ? `${INVITES_PATH}?page=${page + 1}` : null;
    const body = inviteListBody(caller, { items, previous, next, revoked: request.query.done === 'revoked' });
    return send(reply, caller, at(caller.lang, 'invites.title'), body);
  });

  app.post(INVITES_PATH, {
    errorHandler, preValidation, schema: { tags, summary: 'Create invitation codes; they are shown on this answer only (invites:write)', body: CreateForm },
  }, async (request, reply) => {
    const caller = await permitted(request, 'invites:write');
    const codes = await deps.invites.create(Number(request.body.count), caller.actor);
    // An answer page, not a redirect: the codes exist in clear only here (sendHtmlPage sends `Cache-Control: no-store`).
    return send(reply, caller, at(caller.lang, 'invites.createdTitle'), invitesCreatedBody(caller, codes), 201);
  });

  app.get(`${INVITES_PATH}/:invite/revoke`, { errorHandler, schema: { tags, summary: 'Confirm withdrawing an invite (HTML; invites:write)', params: InviteParams } }, async (request, reply) => {
    const caller = await permitted(request, 'invites:write');
    const invite = await deps.invites.findUnused(request.params.invite);
    return send(reply, caller, at(caller.lang, 'invites.confirmTitle'), inviteRevokeBody(caller, invite));
  });

  app.post(`${INVITES_PATH}/:invite/revoke`, {
    errorHandler, preValidation, schema: { tags, summary: 'Withdraw an unused invite (invites:write)', params: InviteParams, body: NoFields },
  }, async (request, reply) => {
    const caller = await permitted(request, 'invites:write');
    await deps.invites.revoke(request.params.invite, caller.actor);
    return reply.redirect(`${INVITES_PATH}?done=revoked`, 303);
  });
};
