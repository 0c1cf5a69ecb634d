import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from 'typebox';
import type { AccountAdminService } from '../accounts/account-admin.service.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { AuditFilter } from '../audit/audit.repository.js';
import { AppError } from '../http/errors.js';
import { PRINTABLE } from '../http/schemas.js';
import { at } from './admin-messages.js';
import { adminPageErrors, sendAdminPage } from './admin-page.js';
import { auditCsv } from './audit-csv.js';
import { auditBody } from './audit-page.view.js';
import { consoleCaller, may, type ConsoleAccessDeps, type ConsoleCaller } from './console-access.js';

export const AUDIT_PATH = '/admin/audit';
/** Events per page. */
export const AUDIT_PAGE_SIZE = 50;
/** The most events one CSV export holds (the newest that match): a bound on what one request reads and sends. */
export const AUDIT_CSV_LIMIT = 10_000;

const DATETIME = '^(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2})?)?$';
const Filters = {
  type: Type.Optional(Type.String({ pattern: '^([a-z]+(\\.[a-z-]+)*\\.?)?$', maxLength: 64 })),
  actor: Type.Optional(Type.String({ maxLength: 254, pattern: PRINTABLE })),
  account: Type.Optional(Type.String({ maxLength: 254, pattern: PRINTABLE })),
  // What an `<input type="datetime-local">` sends, read as UTC (the page says so).
  from: Type.Optional(Type.String({ pattern: DATETIME })),
  to: Type.Optional(Type.String({ pattern: DATETIME })),
};
const AuditQuery = Type.Object({ ...Filters, page: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })) }, { additionalProperties: false });
const CsvQuery = Type.Object(Filters, { additionalProperties: false });
export type AuditQuery = Static<typeof AuditQuery>;

/** What the audit pages use: the gate, the log `GET /audit` searches, and the account list to look up typed names. */
export interface AuditConsoleDeps extends ConsoleAccessDeps {
  audit: Pick<AuditLog, 'search'>;
  accountAdmin: Pick<AccountAdminService, 'browse'>;
}

/**
 * `GET /admin/audit` and `GET /admin/audit.csv` (`audit:read`): the security events through `GET /audit`'s query
 * (AuditLog.search), filtered by type (or prefix), actor, account and time. Paged by number — the audit repository
 * pages by OFFSET and counts the matches, as `GET /audit` does — not by keyset like the account list.
 */
export const auditPageRoutes: FastifyPluginAsync<AuditConsoleDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const errorHandler = adminPageErrors(deps.serverKey);
  const tags = ['admin console'];

  app.get(AUDIT_PATH, { errorHandler, schema: { tags, summary: 'The admin console’s audit log (HTML; audit:read)', querystring: AuditQuery } }, async (request, reply) => {
    const caller = await auditCaller(request, deps);
    const page = request.query.page ?? 1;
    const filter = await filterOf(deps, caller, request.query);
    const { rows, total } = await deps.audit.search(filter, { offset: (page - 1) * AUDIT_PAGE_SIZE, limit: AUDIT_PAGE_SIZE });
    const body = auditBody(caller, { query: request.query, page, rows, total });
    return sendAdminPage(reply, { title: at(caller.lang, 'audit.title'), body, lang: caller.lang, caller, current: AUDIT_PATH });
  });

  app.get(`${AUDIT_PATH}.csv`, { errorHandler, schema: { tags, summary: 'The audit log’s events as CSV (audit:read), with the page’s filters', querystring: CsvQuery } }, async (request, reply) => {
    const caller = await auditCaller(request, deps);
    const { rows } = await deps.audit.search(await filterOf(deps, caller, request.query), { offset: 0, limit: AUDIT_CSV_LIMIT });
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="audit.csv"')
      .header('cache-control', 'no-store')
      .send(auditCsv(rows));
  });
};

/** The console's caller, refused unless it holds `audit:read` — the check `GET /audit` makes. */
async function auditCaller(request: Parameters<typeof consoleCaller>[0], deps: AuditConsoleDeps): Promise<ConsoleCaller> {
  const caller = await consoleCaller(request, deps);
  deps.accounts.requirePermission(caller.actor, 'audit:read');
  return caller;
}

/** The repository's filter from the form's fields; empty means "any", a name that matches no account is a 400 naming its field. */
async function filterOf(deps: AuditConsoleDeps, caller: ConsoleCaller, query: Static<typeof CsvQuery>): Promise<AuditFilter> {
  const text = (value: string | undefined) => (value === undefined || value.trim() === '' ? undefined : value.trim());
  const actor = text(query.actor);
  const account = text(query.account);
  return {
    type: text(query.type),
    actor: actor === undefined ? undefined : actor.toLowerCase() === 'cli' ? 'cli' : await accountIdOf(deps, caller, actor, 'actor'),
    accountId: account === undefined ? undefined : await accountIdOf(deps, caller, account, 'account'),
    from: timeOf(query.from, 'from'),
    to: timeOf(query.to, 'to'),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * An account id as typed, or the account an e-mail or user name names — looked up in the account list, which needs
 * `accounts:read` as `GET /accounts` would. An id is taken as it is: deleted accounts' events stay in the log.
 */
async function accountIdOf(deps: AuditConsoleDeps, caller: ConsoleCaller, typed: string, field: string): Promise<string> {
  if (UUID.test(typed)) return typed.toLowerCase();
  const key = typed.toLowerCase();
  const found = may(caller, 'accounts:read')
    ? (await deps.accountAdmin.browse(caller.actor, { search: typed }, 50)).items.find((a) => a.email?.toLowerCase() === key || a.username.toLowerCase() === key)
    : undefined;
  if (!found) throw new AppError('invalid-request', `no account has that e-mail, user name or id (${field})`, { errors: [{ field, message: 'no account has that e-mail, user name or id' }] });
  return found.id;
}

/** A datetime-local value as milliseconds, read as UTC; an impossible date (month 13) is a 400 naming its field. */
function timeOf(value: string | undefined, field: string): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(`${value}Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, value.length) !== value) {
    throw new AppError('invalid-request', `${field} is not a date and time`, { errors: [{ field, message: 'a date and time such as 2026-12-06T09:30' }] });
  }
  return ms;
}
