import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { errorResponses } from '../http/schemas.js';
import { requireAuth } from '../http/authenticate.js';
import { curies, HAL_JSON, halPage, pageWindow } from '../http/hal.js';
import type { Config } from '../config/index.js';
import type { PrincipalSource } from '../permissions/principal.js';
import { CreatedInvites, CreateInvitesBody, InviteItem, InviteList, InviteListQuery, InviteParams } from './invite.schemas.js';
import type { InviteService, InviteView } from './invite.service.js';

const tags = ['invites'];

/** What the invite routes use: the invites and the permission check (`invites:read` / `invites:write`). */
export interface InviteRouteDeps {
  config: Config;
  invites: InviteService;
  accounts: PrincipalSource;
}

/**
 * Invitation codes for sign-up (seed 000 `ec:invites`, CONTRACT §5): `POST /invites {count}` (invites:write) answers
 * the codes once; `GET /invites` (invites:read) lists the unused ones by id — their codes are stored only as SHA-256
 * and cannot be shown again; `GET /invites/{id}` shows one, `DELETE /invites/{id}` (invites:write) withdraws an unused one.
 */
export const inviteRoutes: FastifyPluginAsync<InviteRouteDeps> = async (fastify, { config, invites, accounts }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const base = config.server.baseUrl;
  const withLinks = (item: InviteView) => ({ ...item, _links: { self: { href: `${base}/invites/${item.id}` }, collection: { href: `${base}/invites` }, curies: curies(base) } });
  const authorize = async (request: Parameters<typeof requireAuth>[0], permission: string) => {
    const auth = requireAuth(request);
    const actor = await accounts.principal(auth.accountId, auth.sessionId);
    accounts.requirePermission(actor, permission);
    return actor;
  };

  app.post('/invites', {
    schema: { tags, summary: 'Create invitation codes (invites:write); the codes are shown only in this answer', body: CreateInvitesBody, response: { 201: CreatedInvites, ...errorResponses } },
  }, async (request, reply) => {
    const actor = await authorize(request, 'invites:write');
    const codes = await invites.create(request.body.count, actor);
    return reply.code(201).type(HAL_JSON).header('cache-control', 'no-store').send({ codes, _links: { self: { href: `${base}/invites` }, curies: curies(base) } });
  });

  app.get('/invites', {
    schema: { tags, summary: 'Unused invites, paged (invites:read); codes are not stored in clear and never listed', querystring: InviteListQuery, response: { 200: InviteList, ...errorResponses } },
  }, async (request, reply) => {
    await authorize(request, 'invites:read');
    const window = pageWindow(request.query.page, request.query.size);
    const { items, total } = await invites.listUnused(window.offset, window.limit);
    const resources = items.map(withLinks);
    return reply.type(HAL_JSON).send(halPage({ baseUrl: base, path: '/invites', query: request.query, rel: 'ec:invite', items: resources, total, page: window.page, size: window.size }));
  });

  app.get('/invites/:id', {
    schema: { tags, summary: 'One unused invite (invites:read)', params: InviteParams, response: { 200: InviteItem, ...errorResponses } },
  }, async (request, reply) => {
    await authorize(request, 'invites:read');
    return reply.type(HAL_JSON).send(withLinks(await invites.findUnused(request.params.id)));
  });

  app.delete('/invites/:id', {
    schema: { tags, summary: 'Withdraw an unused invite (invites:write)', params: InviteParams, response: { 204: Type.Null(), ...errorResponses } },
  }, async (request, reply) => {
    const actor = await authorize(request, 'invites:write');
    await invites.revoke(request.params.id, actor);
    return reply.code(204).send(null);
  });
};
