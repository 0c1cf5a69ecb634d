import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { AppError } from '../http/errors.js';
import { PRINTABLE } from '../http/schemas.js';
import { clearAuthCookies } from '../sessions/cookies.js';
import { AccountParams, loadDetail, type AccountDetailDeps } from './account-detail.data.js';
import type { Done } from './account-detail.view.js';
import { deletePage, deletionWord } from './confirm-pages.js';
import { ACCOUNTS_PATH } from './account-list.routes.js';
import { adminPageErrors, sendAdminPage, SIGN_IN_PATH } from './admin-page.js';
import { consoleCaller, requireConsoleFormToken, type ConsoleCaller } from './console-access.js';

const NoFields = Type.Object({}, { additionalProperties: false });
const EndSessionForm = Type.Object({ session: Type.String({ format: 'uuid' }) }, { additionalProperties: false });
const DeleteForm = Type.Object({ confirmation: Type.String({ maxLength: 254, pattern: PRINTABLE }) }, { additionalProperties: false });

/**
 * The console's changes to one account, each a form post carrying the session's form token (and, as every cookie
 * post, from our own origin — http/csrf.ts), each one call of the service behind the JSON route that does the same:
 *
 * | console | service call | JSON route |
 * | --- | --- | --- |
 * | confirm | AccountAdminService.update `{confirmed: true}` | `PUT /accounts/{id}` |
 * | end a session | AccountAdminService.endSession | `DELETE /accounts/{id}/tokens/{sessionId}` |
 * | end all sessions | AccountAdminService.endSession, each | the same, for each session |
 * | reset MFA | resetSecondFactors (mfa/mfa-admin.routes.ts) | `DELETE /accounts/{id}/mfa` |
 * | delete | AccountAdminService.delete | `DELETE /accounts/{id}` |
 *
 * So the permission, the rank (CONTRACT §3), the last-sysadmin rule and the audit event with its actor (`by`) are the
 * services', and the console can do nothing an API caller of the same rights could not.
 */
export const accountActionRoutes: FastifyPluginAsync<AccountDetailDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const errorHandler = adminPageErrors(deps.serverKey);
  const preValidation = requireConsoleFormToken(deps.serverKey);
  const options = <Body extends TSchema>(summary: string, body: Body) => ({
    errorHandler, preValidation, schema: { tags: ['admin console'], summary, params: AccountParams, body },
  });
  const back = (reply: FastifyReply, accountId: string, done: Done) => reply.redirect(`/admin/accounts/${accountId}?done=${done}`, 303);
  /** After ending the caller's own session the console is signed out: its cookie goes, and so does the page. */
  const signedOut = (reply: FastifyReply) => {
    clearAuthCookies(reply, deps.config);
    return reply.redirect(SIGN_IN_PATH, 303);
  };

  app.post('/admin/accounts/:id/confirm', options('Confirm an account’s e-mail address (accounts:write)', NoFields), async (request, reply) => {
    const caller = await consoleCaller(request, deps);
    await deps.accountAdmin.update(caller.actor, request.params.id, { confirmed: true }, true);
    return back(reply, request.params.id, 'confirmed');
  });

  app.post('/admin/accounts/:id/sessions/end', options('End one session of an account (sessions:delete)', EndSessionForm), async (request, reply) => {
    const caller = await consoleCaller(request, deps);
    await deps.accountAdmin.endSession(caller.actor, request.params.id, request.body.session);
    if (request.body.session === caller.sessionId) return signedOut(reply);
    return back(reply, request.params.id, 'session-ended');
  });

  app.post('/admin/accounts/:id/sessions/end-all', options('End every session of an account (sessions:delete)', NoFields), async (request, reply) => {
    const caller = await consoleCaller(request, deps);
    const ended = await endAll(deps, caller, request.params.id);
    if (ended.includes(caller.sessionId)) return signedOut(reply);
    return back(reply, request.params.id, 'sessions-ended');
  });

  app.post('/admin/accounts/:id/mfa/reset', options('Remove every second factor of an account (accounts:write)', NoFields), async (request, reply) => {
    const caller = await consoleCaller(request, deps);
    await deps.resetMfa(caller.actor, request.params.id, request.log);
    return back(reply, request.params.id, 'mfa-reset');
  });

  app.post('/admin/accounts/:id/delete', options('Delete an account, typed confirmation (accounts:delete)', DeleteForm), async (request, reply) => {
    const caller = await consoleCaller(request, deps);
    const accountId = request.params.id;
    // Step-up guards deleting one's own account (AccountAdminService.delete); this form has none, so it refuses.
    if (accountId === caller.accountId) throw new AppError('forbidden', 'not from the admin console: one\'s own account is deleted from the account page');
    const view = await deps.accountAdmin.read(caller.actor, accountId);
    if (!sameWord(request.body.confirmation, deletionWord({ view }))) {
      const { title, body } = deletePage(caller, await loadDetail(deps, caller, accountId), true);
      return sendAdminPage(reply, { status: 400, title, body, lang: caller.lang, caller, current: ACCOUNTS_PATH });
    }
    await deps.accountAdmin.delete(caller.actor, accountId);
    return reply.redirect(`${ACCOUNTS_PATH}?done=deleted`, 303);
  });
};

/**
 * Ends every live session of the account, one service call each (each checked and audited like the JSON route's).
 * Answers the ids ended. The first call refuses for a missing permission or rank before anything has ended.
 */
async function endAll(deps: AccountDetailDeps, caller: ConsoleCaller, accountId: string): Promise<string[]> {
  const sessions = await deps.accountAdmin.sessionsOf(caller.actor, accountId);
  const ended: string[] = [];
  for (const session of sessions) {
    try {
      await deps.accountAdmin.endSession(caller.actor, accountId, session.id);
      ended.push(session.id);
    } catch (error) {
      // A session that ended meanwhile (logout, expiry) is no reason to stop; anything else is.
      if (!(error instanceof AppError && error.code === 'not-found')) throw error;
    }
  }
  return ended;
}

/** The typed confirmation matches when it is the word, ignoring surrounding space and case (e-mails are case-insensitive here). */
function sameWord(typed: string, word: string): boolean {
  return typed.trim().toLowerCase() === word.trim().toLowerCase();
}
