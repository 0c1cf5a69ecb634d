import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { errorResponses, Password, PrintableText } from '../http/schemas.js';
import { StepUpFactorFields } from '../http/proof.schemas.js';
import { AccountView } from './account.schemas.js';
import type { SessionRow } from '../db/types.js';
import { requireAuth, survivesPasswordChange } from '../http/authenticate.js';
import { curies, hal, HAL_JSON, halListSchema, halPage, HalLinksSchema, PageQuery, pageWindow } from '../http/hal.js';
import type { Config } from '../config/index.js';
import type { AccountAdminService } from './account-admin.service.js';
import type { AccountService } from './account.service.js';
import type { AccountView as AccountViewData } from './account.view.js';

const AccountParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
const TokenParams = Type.Object({ id: Type.String({ format: 'uuid' }), tokenId: Type.String({ format: 'uuid' }) });
const AccountResource = Type.Object({ ...AccountView.properties, _links: HalLinksSchema });
const TokenResource = Type.Object({
  id: Type.String(),
  method: Type.String(),
  clientId: Type.Union([Type.String(), Type.Null()]),
  loginTime: Type.String({ format: 'date-time' }),
  loginExpiration: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastAccess: Type.String({ format: 'date-time' }),
  inetAddress: Type.Union([Type.String(), Type.Null()]),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  _links: HalLinksSchema,
});
const ListQuery = Type.Object(
  {
    ...PageQuery,
    email: Type.Optional(PrintableText(254)),
    group: Type.Optional(PrintableText(64)),
    type: Type.Optional(Type.Union([Type.Literal('user'), Type.Literal('guest'), Type.Literal('apikey')])),
    // Checked in full by AccountAdminService; the schema only keeps it short and URL-safe.
    after: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$', description: 'Cursor from a `next` link: the page starts after that account' })),
  },
  { additionalProperties: false },
);
const AccountChanges = Type.Object(
  {
    language: Type.Optional(Type.Union([Type.String({ pattern: '^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$', maxLength: 35 }), Type.Null()])),
    email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
    permissions: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256, pattern: '^[A-Za-z0-9_.*\\-]+(,[A-Za-z0-9_.*\\-]+)*(:[A-Za-z0-9_.*\\-]+(,[A-Za-z0-9_.*\\-]+)*)*$' }), { maxItems: 200 })),
    groups: Type.Optional(Type.Array(PrintableText(64), { maxItems: 200 })),
    confirmed: Type.Optional(Type.Boolean()),
    password: Type.Optional(Password),
    currentPassword: Type.Optional(Type.String()),
    ...StepUpFactorFields,
  },
  { additionalProperties: false },
);
/** Deleting one's own account with a second factor needs step-up (CONTRACT §5): the password, a code or a passkey. No body: null. */
const StepUpBody = Type.Union([Type.Object({
  password: Type.Optional(Type.String({ maxLength: 1024 })),
  ...StepUpFactorFields,
}, { additionalProperties: false }), Type.Null()]);
const ApiKey = Type.Object({ jwt: Type.String(), accountID: Type.String(), _links: HalLinksSchema });
const tags = ['accounts'];

/** What the account resources use: the administrators' account service and who the caller is. */
export interface AccountRouteDeps {
  config: Config;
  accountAdmin: AccountAdminService;
  accounts: Pick<AccountService, 'principal'>;
}

/**
 * The account resources of seed 000 (`application/hal+json`): `GET /accounts`, `GET|PUT|DELETE /accounts/{id}`,
 * the account's sessions, and API keys through `POST /accounts/create-anonymous`.
 */
export const accountRoutes: FastifyPluginAsync<AccountRouteDeps> = async (fastify, { config, accountAdmin: admin, accounts }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const base = config.server.baseUrl;
  const principalOf = async (request: Parameters<typeof requireAuth>[0]) => {
    const auth = requireAuth(request);
    return { auth, actor: await accounts.principal(auth.accountId, auth.sessionId) };
  };
  const accountLinks = (view: AccountViewData) => hal(view, {
    self: { href: `${base}/accounts/${view.id}` },
    curies: curies(base),
    'ec:accounts': { href: `${base}/accounts` },
    'ec:account/tokens': { href: `${base}/accounts/${view.id}/tokens` },
  });
  const tokenLinks = (accountId: string, row: SessionRow) => hal({
    id: row.id,
    method: row.method,
    clientId: row.client_id,
    loginTime: new Date(row.login_time).toISOString(),
    loginExpiration: row.expires_at === null ? null : new Date(row.expires_at).toISOString(),
    lastAccess: new Date(row.last_access).toISOString(),
    inetAddress: row.inet_address,
    userAgent: row.user_agent,
  }, { self: { href: `${base}/accounts/${accountId}/tokens/${row.id}` }, curies: curies(base), 'ec:account': { href: `${base}/accounts/${accountId}` } });

  app.get('/accounts', {
    schema: { tags, summary: 'Accounts, paged and filtered (accounts:read)', querystring: ListQuery, response: { 200: halListSchema('ec:account', AccountResource), ...errorResponses } },
  }, async (request, reply) => {
    const { actor } = await principalOf(request);
    const { page, size, after, ...filters } = request.query;
    const window = pageWindow(page, size);
    const listed = await admin.list(actor, filters, { offset: window.offset, limit: window.limit, after });
    return reply.type(HAL_JSON).send(halPage({
      baseUrl: base, path: '/accounts', query: request.query, rel: 'ec:account', items: listed.items.map(accountLinks), total: listed.total, page: window.page, size: window.size, after: listed.after,
    }));
  });

  app.post('/accounts/create-anonymous', {
    schema: { tags, summary: 'Create an API key: an account without e-mail and its token, shown once', response: { 201: ApiKey, ...errorResponses } },
  }, async (request, reply) => {
    const { actor } = await principalOf(request);
    const key = await admin.createApiKey(actor);
    return reply.code(201).type(HAL_JSON).send({ ...key, _links: { 'ec:account': { href: `${base}/accounts/${key.accountID}` }, curies: curies(base) } });
  });

  app.get('/accounts/:id', {
    schema: { tags, summary: 'One account (own, or accounts:read)', params: AccountParams, response: { 200: AccountResource, ...errorResponses } },
  }, async (request, reply) => {
    const { actor } = await principalOf(request);
    return reply.type(HAL_JSON).send(accountLinks(await admin.read(actor, request.params.id)));
  });

  app.put('/accounts/:id', {
    schema: { tags, summary: 'Update an account (another’s needs accounts:write and a rank at or above its own)', params: AccountParams, body: AccountChanges, response: { 200: AccountResource, ...errorResponses } },
  }, async (request, reply) => {
    const { auth, actor } = await principalOf(request);
    const view = await admin.update(actor, request.params.id, request.body, survivesPasswordChange(auth));
    return reply.type(HAL_JSON).send(accountLinks(view));
  });

  app.delete('/accounts/:id', {
    schema: { tags, summary: 'Delete an account and end its sessions (own, or accounts:delete and a rank at or above the account’s)', params: AccountParams, body: StepUpBody, response: { 204: Type.Null(), ...errorResponses } },
  }, async (request, reply) => {
    const { actor } = await principalOf(request);
    await admin.delete(actor, request.params.id, { ...request.body, inetAddress: request.ip });
    return reply.code(204).send(null);
  });

  app.get('/accounts/:id/tokens', {
    schema: { tags, summary: 'The account’s sessions (own, or sessions:read)', params: AccountParams, response: { 200: halListSchema('ec:account/token', TokenResource), ...errorResponses } },
  }, async (request, reply) => {
    const { actor } = await principalOf(request);
    const rows = await admin.sessionsOf(actor, request.params.id);
    const items = rows.map((row) => tokenLinks(request.params.id, row));
    return reply.type(HAL_JSON).send(halPage({ baseUrl: base, path: `/accounts/${request.params.id}/tokens`, query: {}, rel: 'ec:account/token', items, total: items.length, page: 1, size: Math.max(items.length, 1) }));
  });

  app.get('/accounts/:id/tokens/:tokenId', {
    schema: { tags, summary: 'One session of the account', params: TokenParams, response: { 200: TokenResource, ...errorResponses } },
  }, async (request, reply) => {
    const { actor } = await principalOf(request);
    return reply.type(HAL_JSON).send(tokenLinks(request.params.id, await admin.sessionOf(actor, request.params.id, request.params.tokenId)));
  });

  app.delete('/accounts/:id/tokens/:tokenId', {
    schema: { tags, summary: 'End one session of the account (own, or sessions:delete and a rank at or above the account’s)', params: TokenParams, response: { 204: Type.Null(), ...errorResponses } },
  }, async (request, reply) => {
    const { actor } = await principalOf(request);
    await admin.endSession(actor, request.params.id, request.params.tokenId);
    return reply.code(204).send(null);
  });
};
