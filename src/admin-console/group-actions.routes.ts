import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError, type FieldError } from '../http/errors.js';
import { PRINTABLE } from '../http/schemas.js';
import { fieldErrors } from '../http/validation.js';
import { addError, type FieldErrors } from '../pages/forms.js';
import { MAX_GROUP_PERMISSIONS } from '../permissions/group.schemas.js';
import { at } from './admin-messages.js';
import { adminPageErrors, sendAdminPage } from './admin-page.js';
import { consoleCaller, may, requireConsoleFormToken, type ConsoleCaller } from './console-access.js';
import { GroupParams, GROUPS_PATH, loadGroupPage, requireWrite, sendGroupPage, type GroupConsoleDeps } from './group-page.data.js';
import { groupForm, type GroupFormState } from './group.view.js';
import { linesOf, previewPermissions } from './permission-preview.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The group form: the name is checked by GroupService's own rule (GROUP_NAME), the permissions line by line by the service. */
const GroupForm = Type.Object({
  name: Type.String({ maxLength: 64 }),
  permissions: Type.String({ maxLength: 12_000 }),
  intent: Type.Union([Type.Literal('preview'), Type.Literal('save')]),
}, { additionalProperties: false });
const AccountForm = Type.Object({ account: Type.String({ minLength: 1, maxLength: 254, pattern: PRINTABLE }) }, { additionalProperties: false });
const MemberForm = Type.Object({ account: Type.String({ format: 'uuid' }) }, { additionalProperties: false });
/** GroupService takes the name as `POST /groups` validated it (group.schemas.ts GroupName); the form checks the same. */
const GROUP_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The console's changes to groups, each one GroupService call with the caller as actor — the same call `POST /groups`,
 * `PUT /groups/{id}`, `DELETE /groups/{id}` and `PUT|DELETE /groups/{id}/accounts/{accountId}` make — so no-escalation
 * (grant only what you hold), rank (CONTRACT §3) and the audit events are the service's. Each post carries the
 * session's form token; a form with errors comes back with them next to their field and nothing saved.
 */
export const groupActionRoutes: FastifyPluginAsync<GroupConsoleDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const errorHandler = adminPageErrors(deps.serverKey);
  const preValidation = requireConsoleFormToken(deps.serverKey);
  const tags = ['admin console'];

  app.post(GROUPS_PATH, { errorHandler, preValidation, attachValidation: true, schema: { tags, summary: 'Create a group, or preview its permissions (groups:write)', body: GroupForm } }, async (request, reply) => {
    const caller = await consoleCaller(request, deps);
    requireWrite(caller);
    const state = formState(caller, request);
    const again = (status: number, errors: FieldErrors) =>
      sendAdminPage(reply, { status, title: at(caller.lang, 'group.newTitle'), body: groupForm(caller, GROUPS_PATH, 'group.create', { ...state, errors }), lang: caller.lang, caller, current: GROUPS_PATH });
    if (Object.keys(state.errors).length) return again(400, state.errors);
    if (request.body.intent === 'preview') return again(200, {});
    try {
      const created = await deps.groups.create(caller.actor, { name: state.name, permissions: linesOf(state.permissions) });
      return reply.redirect(`${GROUPS_PATH}/${created.id}?done=created`, 303);
    } catch (error) {
      const errors = serviceErrors(caller, error);
      return again(errors.status, errors.fields);
    }
  });

  app.post(`${GROUPS_PATH}/:id`, { errorHandler, preValidation, attachValidation: true, schema: { tags, summary: 'Rename a group and set its permissions, or preview them (groups:write)', params: GroupParams, body: GroupForm } }, async (request, reply) => {
    const caller = await consoleCaller(request, deps);
    requireWrite(caller);
    const state = formState(caller, request);
    const again = async (status: number, errors: FieldErrors) =>
      sendGroupPage(reply, caller, await loadGroupPage(deps, caller, request.params.id, { form: { ...state, errors } }), status);
    if (Object.keys(state.errors).length) return again(400, state.errors);
    if (request.body.intent === 'preview') return again(200, {});
    try {
      await deps.groups.update(caller.actor, request.params.id, { name: state.name, permissions: linesOf(state.permissions) });
      return reply.redirect(`${GROUPS_PATH}/${request.params.id}?done=saved`, 303);
    } catch (error) {
      const errors = serviceErrors(caller, error);
      return again(errors.status, errors.fields);
    }
  });

  app.post(`${GROUPS_PATH}/:id/members`, { errorHandler, preValidation, schema: { tags, summary: 'Add an account to a group (groups:write, rank)', params: GroupParams, body: AccountForm } }, async (request, reply) => {
    const caller = await consoleCaller(request, deps);
    const accountId = await resolveAccount(deps, caller, request.body.account.trim());
    const notFound = async () =>
      sendGroupPage(reply, caller, await loadGroupPage(deps, caller, request.params.id, { addError: at(caller.lang, 'group.noSuchAccount') }), 400);
    if (!accountId) return notFound();
    try {
      await deps.groups.addMember(caller.actor, request.params.id, accountId);
    } catch (error) {
      // A missing group is the page's 404; a missing account is the form's error.
      if (error instanceof AppError && error.code === 'not-found' && error.message === 'account not found') return notFound();
      throw error;
    }
    return reply.redirect(`${GROUPS_PATH}/${request.params.id}?done=member-added`, 303);
  });

  app.post(`${GROUPS_PATH}/:id/members/remove`, { errorHandler, preValidation, schema: { tags, summary: 'Remove an account from a group (groups:write, rank)', params: GroupParams, body: MemberForm } }, async (request, reply) => {
    const caller = await consoleCaller(request, deps);
    await deps.groups.removeMember(caller.actor, request.params.id, request.body.account);
    return reply.redirect(`${GROUPS_PATH}/${request.params.id}?done=member-removed`, 303);
  });

  app.post(`${GROUPS_PATH}/:id/delete`, { errorHandler, preValidation, schema: { tags, summary: 'Delete a group (groups:write)', params: GroupParams, body: Type.Object({}, { additionalProperties: false }) } }, async (request, reply) => {
    const caller = await consoleCaller(request, deps);
    await deps.groups.remove(caller.actor, request.params.id);
    return reply.redirect(`${GROUPS_PATH}?done=deleted`, 303);
  });
};

/** The form as typed, its own errors (shape, name rule, too many lines) and the preview of its permissions. */
function formState(caller: ConsoleCaller, request: FastifyRequest): GroupFormState {
  const body = (request.body ?? {}) as Record<string, unknown>;
  const name = typeof body.name === 'string' ? body.name.trim() : '';
  const permissions = typeof body.permissions === 'string' ? body.permissions : '';
  const errors: FieldErrors = {};
  for (const error of request.validationError ? fieldErrors(request.validationError.validation, 'body') : []) {
    addError(errors, ['name', 'permissions'].includes(error.field) ? error.field : 'form', at(caller.lang, 'error.invalid', { fields: error.field }));
  }
  if (!errors.name && !GROUP_NAME.test(name)) addError(errors, 'name', at(caller.lang, 'group.nameHint'));
  const lines = linesOf(permissions);
  if (lines.length > MAX_GROUP_PERMISSIONS) addError(errors, 'permissions', at(caller.lang, 'error.invalid', { fields: `permissions (≤ ${MAX_GROUP_PERMISSIONS})` }));
  return { name, permissions, errors, preview: previewPermissions(caller.actor, lines) };
}

/**
 * GroupService's refusals as the form's errors: a bad line names its line, a taken name the name, an escalation the
 * permissions the caller does not hold. Anything else (the built-in groups' fixed names, a missing group) is the error page's.
 */
function serviceErrors(caller: ConsoleCaller, error: unknown): { status: number; fields: FieldErrors } {
  if (!(error instanceof AppError) || error.status >= 500) throw error;
  const { lang } = caller;
  const fields: FieldErrors = {};
  if (error.code === 'invalid-request' || error.code === 'conflict') {
    for (const field of error.extra.errors ?? ([] as FieldError[])) {
      const line = /^permissions\.(\d+)$/.exec(field.field);
      if (line) addError(fields, 'permissions', at(lang, 'group.line', { line: Number(line[1]) + 1, message: at(lang, 'group.invalid') }));
      else if (field.field === 'name') addError(fields, 'name', at(lang, 'group.nameTaken'));
      else throw error;
    }
    if (Object.keys(fields).length) return { status: error.status, fields };
  }
  const escalation = /^(?:granting|changing|changing the members of a group with) (.+) requires holding it$/.exec(error.message);
  if (error.code === 'forbidden' && escalation) return { status: 403, fields: { form: [at(lang, 'group.escalation', { permissions: escalation[1]! })] } };
  throw error;
}

/**
 * The account an "add" names: an account id as it is; an e-mail or user name looked up in the account list — which
 * needs `accounts:read`, as `GET /accounts?email=` would. Null when nothing matches (or the caller may not look).
 */
async function resolveAccount(deps: GroupConsoleDeps, caller: ConsoleCaller, typed: string): Promise<string | null> {
  if (UUID.test(typed)) return typed.toLowerCase();
  if (!may(caller, 'accounts:read')) return null;
  const key = typed.toLowerCase();
  const { items } = await deps.accountAdmin.browse(caller.actor, { search: typed }, 50);
  return items.find((account) => account.email?.toLowerCase() === key || account.username.toLowerCase() === key)?.id ?? null;
}

