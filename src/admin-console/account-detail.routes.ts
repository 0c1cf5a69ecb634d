import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { accountActionRoutes } from './account-actions.routes.js';
import { AccountParams, loadDetail, refuse, type AccountDetailDeps } from './account-detail.data.js';
import { accountDetailBody, DONE, nameOf, type AccountDetail } from './account-detail.view.js';
import { deletePage, endSessionsPage, resetMfaPage } from './confirm-pages.js';
import { ACCOUNTS_PATH } from './account-list.routes.js';
import { adminPageErrors, sendAdminPage } from './admin-page.js';
import { consoleCaller } from './console-access.js';

const DetailQuery = Type.Object({ done: Type.Optional(Type.Union(DONE.map((done) => Type.Literal(done)))) }, { additionalProperties: false });

/**
 * `GET /admin/accounts/{id}` (`accounts:read`) and the confirmation pages of its irreversible actions: the profile,
 * groups and permissions, the sessions (`sessions:read`), the second factors, the latest events (`audit:read`). Each
 * part comes from the service the JSON API uses, with the caller as actor, so the page shows nothing an API caller of
 * the same rights could not read; a button appears only where the permission and the rank (CONTRACT §3) allow it.
 */
export const accountDetailRoutes: FastifyPluginAsync<AccountDetailDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const errorHandler = adminPageErrors(deps.serverKey);
  const tags = ['admin console'];

  app.get('/admin/accounts/:id', {
    errorHandler,
    schema: { tags, summary: 'One account in the admin console (HTML; accounts:read)', params: AccountParams, querystring: DetailQuery },
  }, async (request, reply) => {
    const caller = await consoleCaller(request, deps);
    const detail = await loadDetail(deps, caller, request.params.id);
    const body = accountDetailBody(caller, detail, request.query.done);
    return sendAdminPage(reply, { title: nameOf(detail.view), body, lang: caller.lang, caller, current: ACCOUNTS_PATH });
  });

  /** A confirmation page: only for a caller who may take the action, so it never offers a button that must fail. */
  const confirmation = (path: string, permission: string, allowed: (detail: AccountDetail) => boolean, draw: typeof endSessionsPage) =>
    app.get(`/admin/accounts/:id/${path}`, {
      errorHandler,
      schema: { tags, summary: `Confirm an irreversible action on an account (HTML): ${path}`, params: AccountParams },
    }, async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
      const caller = await consoleCaller(request, deps);
      const detail = await loadDetail(deps, caller, request.params.id);
      if (!allowed(detail)) refuse(caller, detail, permission);
      const { title, body } = draw(caller, detail);
      return sendAdminPage(reply, { title, body, lang: caller.lang, caller, current: ACCOUNTS_PATH });
    });
  confirmation('end-sessions', 'sessions:delete', (detail) => detail.can.endSessions, endSessionsPage);
  confirmation('reset-mfa', 'accounts:write', (detail) => detail.can.resetMfa, resetMfaPage);
  confirmation('delete', 'accounts:delete', (detail) => detail.can.delete, deletePage);

  await app.register(accountActionRoutes, deps);
};

