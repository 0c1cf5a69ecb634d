import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { errorResponses } from '../http/schemas.js';
import { requireAuth } from '../http/authenticate.js';
import { curies, HAL_JSON, halListSchema, halPage, HalLinksSchema, PageQuery, pageWindow } from '../http/hal.js';
import type { Config } from '../config/index.js';
import type { AuditLog } from './audit-log.js';
import { AUDIT_ACTOR } from './audit.repository.js';

const AuditQuery = Type.Object(
  {
    ...PageQuery,
    type: Type.Optional(Type.String({ pattern: '^[a-z]+(\\.[a-z-]+)*\\.?$', maxLength: 64, description: 'an event type, or a prefix ending in "." (login.)' })),
    accountId: Type.Optional(Type.String({ format: 'uuid' })),
    actor: Type.Optional(Type.String({ pattern: AUDIT_ACTOR, description: 'who did it: the account id in the event’s data.by, or "cli"' })),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
const AuditEvent = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  type: Type.String(),
  accountId: Type.Union([Type.String(), Type.Null()]),
  sessionId: Type.Union([Type.String(), Type.Null()]),
  loginName: Type.Union([Type.String(), Type.Null()]),
  inetAddress: Type.Union([Type.String(), Type.Null()]),
  data: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  _links: HalLinksSchema,
});

/**
 * What `/audit` uses: the log it searches and the permission check (`audit:read`). Why the check as a shape
 * (permissions/principal.ts `PrincipalSource` fits it): permissions/ records its changes here, so audit/ cannot import it.
 */
export interface AuditRouteDeps {
  config: Config;
  audit: AuditLog;
  accounts: {
    principal(accountId: string, sessionId: string): Promise<{ permissions: string[] }>;
    requirePermission(principal: { permissions: string[] }, permission: string): void;
  };
}

/** `GET /audit`: security events, newest first, filtered by type (or type prefix), account, actor (`data.by`) and time; `audit:read`. */
export const auditRoutes: FastifyPluginAsync<AuditRouteDeps> = async (fastify, { config, audit, accounts }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const base = config.server.baseUrl;
  app.get('/audit', {
    schema: { tags: ['operations'], summary: 'Security events (audit:read)', querystring: AuditQuery, response: { 200: halListSchema('ec:audit-event', AuditEvent), ...errorResponses } },
  }, async (request, reply) => {
    const auth = requireAuth(request);
    accounts.requirePermission(await accounts.principal(auth.accountId, auth.sessionId), 'audit:read');
    const { page, size, type, accountId, actor, from, to } = request.query;
    const window = pageWindow(page, size);
    const filter = { type, accountId, actor: actor?.toLowerCase(), from: from === undefined ? undefined : Date.parse(from), to: to === undefined ? undefined : Date.parse(to) };
    const { total, rows } = await audit.search(filter, window);
    const items = rows.map((row) => ({
      id: Number(row.id),
      at: new Date(row.at).toISOString(),
      type: row.type,
      accountId: row.account_id,
      sessionId: row.session_id,
      loginName: row.login_name,
      inetAddress: row.inet_address,
      data: row.data ? (JSON.parse(row.data) as Record<string, unknown>) : null,
      _links: { curies: curies(base), ...(row.account_id ? { 'ec:account': { href: `${base}/accounts/${row.account_id}` } } : {}) },
    }));
    return reply.type(HAL_JSON).send(halPage({ baseUrl: base, path: '/audit', query: request.query, rel: 'ec:audit-event', items, total, page: window.page, size: window.size }));
  });
};
