import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../http/errors.js';
import { html } from '../pages/layout.js';
import { at } from './admin-messages.js';
import { adminPageErrors, csrfField, sendAdminPage } from './admin-page.js';
import { consoleCaller, may } from './console-access.js';
import { GroupParams, GROUPS_PATH, loadGroupPage, requireWrite, sendGroupPage, type GroupConsoleDeps } from './group-page.data.js';
import { groupActionRoutes } from './group-actions.routes.js';
import { groupForm, groupListBody } from './group.view.js';

/** Groups per page: a deployment has tens of groups, rarely hundreds. */
const GROUPS_PER_PAGE = 100;
const ListQuery = Type.Object({ page: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })), done: Type.Optional(Type.Literal('deleted')) }, { additionalProperties: false });
const GroupQuery = Type.Object({ done: Type.Optional(Type.Union([Type.Literal('created'), Type.Literal('saved'), Type.Literal('member-added'), Type.Literal('member-removed')])) }, { additionalProperties: false });

/**
 * `GET /admin/groups` (`groups:read`), a group's page, "new group" and the deletion's confirmation. Every read is
 * GroupService's, with the caller as actor, so the pages show what `GET /groups` would; the actions
 * (group-actions.routes.ts) are its changes, with its no-escalation and rank rules.
 */
export const groupPageRoutes: FastifyPluginAsync<GroupConsoleDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const errorHandler = adminPageErrors(deps.serverKey);
  const tags = ['admin console'];

  app.get(GROUPS_PATH, { errorHandler, schema: { tags, summary: 'The admin console’s groups (HTML; groups:read)', querystring: ListQuery } }, async (request, reply) => {
    const caller = await consoleCaller(request, deps);
    const page = request.query.page ?? 1;
    const { groups, total } = await deps.groups.list(caller.actor, (page - 1) * GROUPS_PER_PAGE, GROUPS_PER_PAGE);
    const next = page * GROUPS_PER_PAGE < total ? `${GROUPS_PATH}?page=${page + 1}` : null;
    const body = groupListBody(caller, groups, next, may(caller, 'groups:write'), request.query.done === 'deleted');
    return sendAdminPage(reply, { title: at(caller.lang, 'groups.title'), body, lang: caller.lang, caller, current: GROUPS_PATH });
  });

  app.get(`${GROUPS_PATH}/new`, { errorHandler, schema: { tags, summary: 'The form of a new group (HTML; groups:write)' } }, async (request, reply) => {
    const caller = await consoleCaller(request, deps);
    requireWrite(caller);
    const body = groupForm(caller, GROUPS_PATH, 'group.create', { name: '', permissions: '', errors: {} });
    return sendAdminPage(reply, { title: at(caller.lang, 'group.newTitle'), body, lang: caller.lang, caller, current: GROUPS_PATH });
  });

  app.get(`${GROUPS_PATH}/:id`, { errorHandler, schema: { tags, summary: 'One group in the admin console (HTML; groups:read)', params: GroupParams, querystring: GroupQuery } }, async (request, reply) => {
    const caller = await consoleCaller(request, deps);
    return sendGroupPage(reply, caller, await loadGroupPage(deps, caller, request.params.id), 200, request.query.done);
  });

  app.get(`${GROUPS_PATH}/:id/delete`, { errorHandler, schema: { tags, summary: 'Confirm deleting a group (HTML; groups:write)', params: GroupParams } }, async (request, reply) => {
    const caller = await consoleCaller(request, deps);
    const page = await loadGroupPage(deps, caller, request.params.id);
    if (!page.can.delete) {
      requireWrite(caller);
      throw new AppError('forbidden', page.group.builtin ? `the built-in group ${page.group.id} cannot be deleted` : `deleting a group with ${page.previews.filter((p) => !p.held).map((p) => p.permission).join(', ')} requires holding it`);
    }
    const { lang } = caller;
    const back = `${GROUPS_PATH}/${page.group.id}`;
    const body = html`<p>${at(lang, 'groupDelete.text', { count: page.group.accounts.length })}</p>
<form method="post" action="${back}/delete">${csrfField(caller)}<div class="actions"><button type="submit" class="danger">${at(lang, 'groupDelete.submit')}</button><a href="${back}">${at(lang, 'confirm.cancel')}</a></div></form>`;
    return sendAdminPage(reply, { title: at(lang, 'groupDelete.title', { name: page.group.name }), body, lang, caller, current: GROUPS_PATH });
  });

  await app.register(groupActionRoutes, deps);
};

