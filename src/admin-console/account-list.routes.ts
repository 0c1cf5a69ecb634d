import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from 'typebox';
import type { AccountAdminService } from '../accounts/account-admin.service.js';
import type { AccountFilters } from '../accounts/account-filters.js';
import { PRINTABLE } from '../http/schemas.js';
import type { GroupService } from '../permissions/group.service.js';
import { at } from './admin-messages.js';
import { adminPageErrors, sendAdminPage } from './admin-page.js';
import { accountListBody, type ListState } from './account-list.view.js';
import { consoleCaller, may, type ConsoleAccessDeps } from './console-access.js';

export const ACCOUNTS_PATH = '/admin/accounts';
/** Rows per page: a screenful on a desktop, and few enough that a page's views cost three small queries. */
export const PAGE_SIZE = 50;

/** An empty field of the GET form means "any", so each filter takes '' as well as its values. */
const anyOr = <T extends string>(...values: T[]) => Type.Optional(Type.Union([Type.Literal(''), ...values.map((value) => Type.Literal(value))]));
const ListQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 254, pattern: PRINTABLE })),
  group: Type.Optional(Type.String({ maxLength: 64, pattern: PRINTABLE })),
  role: anyOr('admin', 'sysadmin'),
  type: anyOr('user', 'guest', 'apikey'),
  confirmed: anyOr('yes', 'no'),
  mfa: anyOr('yes', 'no'),
  // Checked in full by AccountAdminService (a 400 naming `after`); the schema keeps it short and URL-safe.
  after: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$' })),
  done: Type.Optional(Type.Literal('deleted')),
}, { additionalProperties: false });
export type ListQuery = Static<typeof ListQuery>;

/** What the list uses: the gate, the API's own account listing, and the groups for the group filter. */
export interface AccountListDeps extends ConsoleAccessDeps {
  accountAdmin: Pick<AccountAdminService, 'browse'>;
  groups: Pick<GroupService, 'list'>;
}

/**
 * `GET /admin/accounts` (`accounts:read`): search by the start of an e-mail or user name, filter by group, role, type,
 * confirmation and second factor, and page through any number of accounts. The rows come from AccountAdminService — the query behind
 * `GET /accounts` — paged by its keyset cursor (`after`), never by OFFSET, so the millionth account's page costs what
 * the first does. A GET form: the filters live in the URL, so a list can be bookmarked and works without script.
 */
export const accountListRoutes: FastifyPluginAsync<AccountListDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(ACCOUNTS_PATH, {
    errorHandler: adminPageErrors(deps.serverKey),
    schema: { tags: ['admin console'], summary: 'The admin console’s account list (HTML; accounts:read)', querystring: ListQuery },
  }, async (request, reply) => {
    const caller = await consoleCaller(request, deps);
    const query = request.query;
    const listed = await deps.accountAdmin.browse(caller.actor, filtersOf(query), PAGE_SIZE, query.after);
    // The group filter offers the groups by name to those who may read them; others type a name.
    const groups = may(caller, 'groups:read') ? (await deps.groups.list(caller.actor, 0, 200)).groups.filter((g) => !g.builtin).map((g) => g.name) : null;
    const state: ListState = { query, items: listed.items, nextAfter: listed.more ? listed.after : undefined, groups };
    return sendAdminPage(reply, { title: at(caller.lang, 'accounts.title'), body: accountListBody(caller, state), lang: caller.lang, caller, current: ACCOUNTS_PATH });
  });
};

/** The service's filters from the form's fields; empty means "any". */
function filtersOf(query: ListQuery): AccountFilters {
  const text = (value: string | undefined) => (value === undefined || value.trim() === '' ? undefined : value.trim());
  return {
    search: text(query.q),
    group: text(query.group),
    role: query.role || undefined,
    type: query.type || undefined,
    confirmed: query.confirmed ? query.confirmed === 'yes' : undefined,
    mfa: query.mfa ? query.mfa === 'yes' : undefined,
  };
}
