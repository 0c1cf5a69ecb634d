import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { AccountAdminService } from '../accounts/account-admin.service.js';
import { AppError } from '../http/errors.js';
import { GroupId } from '../permissions/group.schemas.js';
import type { GroupService } from '../permissions/group.service.js';
import { sendAdminPage } from './admin-page.js';
import { may, type ConsoleAccessDeps, type ConsoleCaller } from './console-access.js';
import { groupPageBody, type GroupPage } from './group.view.js';
import { previewPermissions } from './permission-preview.js';

export const GROUPS_PATH = '/admin/groups';
/** Members shown on a group's page; the account list (filtered by the group) pages through the rest. */
const MEMBERS_SHOWN = 100;

export const GroupParams = Type.Object({ id: GroupId }, { additionalProperties: false });

/** What the group pages use: GroupService (behind `/groups`) and the account list for the members' names. */
export interface GroupConsoleDeps extends ConsoleAccessDeps {
  groups: Pick<GroupService, 'list' | 'get' | 'create' | 'update' | 'remove' | 'addMember' | 'removeMember'>;
  accountAdmin: Pick<AccountAdminService, 'browse'>;
}

/** Refuses, as GroupService would, a caller without `groups:write`. */
export function requireWrite(caller: ConsoleCaller): void {
  if (!may(caller, 'groups:write')) throw new AppError('forbidden', 'requires permission groups:write');
}

/**
 * A group's page data: the group (GroupService.get), what each of its permissions grants, its first members by name
 * (the account list's query, with `accounts:read`), and which changes the caller may make — the same rules GroupService
 * applies, so the page offers no button that must fail (rank, checked per member, excepted).
 */
export async function loadGroupPage(deps: GroupConsoleDeps, caller: ConsoleCaller, id: string, extra: Partial<GroupPage> = {}): Promise<GroupPage> {
  const { actor } = caller;
  const group = await deps.groups.get(actor, id);
  const previews = previewPermissions(actor, group.permissions);
  const listed = group.accounts.length && may(caller, 'accounts:read') ? await deps.accountAdmin.browse(actor, { group: group.id }, MEMBERS_SHOWN) : null;
  const write = may(caller, 'groups:write');
  const holdsAll = previews.every((preview) => preview.held);
  const changeMembers = write && (group.builtin ? actor.roles.includes(group.id) || actor.roles.includes('sysadmin') : holdsAll);
  return {
    group, previews,
    members: group.accounts.length ? (listed?.items ?? null) : [],
    moreMembers: listed?.more ?? false,
    can: { edit: write && !group.builtin, changeMembers, delete: write && !group.builtin && holdsAll },
    ...extra,
  };
}

/** Sends a group's page. */
export function sendGroupPage(reply: FastifyReply, caller: ConsoleCaller, page: GroupPage, status = 200, done?: GroupPage['done']): FastifyReply {
  const body = groupPageBody(caller, { ...page, done: done ?? page.done });
  return sendAdminPage(reply, { status, title: page.group.name, body, lang: caller.lang, caller, current: GROUPS_PATH });
}
