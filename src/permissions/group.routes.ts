import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { errorResponses } from '../http/schemas.js';
import type { Config } from '../config/index.js';
import { requireAuth } from '../http/authenticate.js';
import { curies, hal, halPage, HAL_JSON, pageWindow, type HalLinks } from '../http/hal.js';
import type { PrincipalSource } from './principal.js';
import { CreateGroupBody, GroupList, GroupListQuery, GroupParams, GroupResource, MembershipParams, UpdateGroupBody } from './group.schemas.js';
import type { GroupService, GroupView } from './group.service.js';

const tags = ['groups'];
const noContent = { 204: Type.Null(), ...errorResponses };

/** What the group routes use: the groups (built with the injected random source) and who the caller is. */
export interface GroupRouteDeps {
  config: Config;
  groups: GroupService;
  accounts: Pick<PrincipalSource, 'principal'>;
}

/**
 * `GET|POST /groups`, `GET|PUT|DELETE /groups/{id}`, `PUT|DELETE /groups/{id}/accounts/{accountId}`
 * (CONTRACT §5 "Groups"; seed 000's `ec:acc/groups` and `ec:acc/group`). Reading needs `groups:read`, every change
 * `groups:write`; the escalation rules live in GroupService.
 */
export const groupRoutes: FastifyPluginAsync<GroupRouteDeps> = async (fastify, { config, groups, accounts }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const base = config.server.baseUrl;
  const groupHref = (id: string) => `${base}/groups/${id}`;
  const actor = (request: FastifyRequest) => {
    const auth = requireAuth(request);
    return accounts.principal(auth.accountId, auth.sessionId);
  };
  const resource = (group: GroupView) => {
    const links: HalLinks = {
      self: { href: groupHref(group.id) },
      curies: curies(base),
      'ec:acc/groups': { href: `${base}/groups` },
      'ec:account': group.accounts.map((id) => ({ href: `${base}/accounts/${id}` })),
    };
    return hal(group, links);
  };

  app.get('/groups', {
    schema: { tags, summary: 'Groups, paged (needs groups:read)', querystring: GroupListQuery, response: { 200: GroupList, ...errorResponses } },
  }, async (request, reply) => {
    const { page, size, offset, limit } = pageWindow(request.query.page, request.query.size);
    const { groups: items, total } = await groups.list(await actor(request), offset, limit);
    const embedded = items.map((group) => hal(group, { self: { href: groupHref(group.id) } }));
    // Only the paging parameters go into the links: `_token` and the like must never be echoed.
    const body = halPage({ baseUrl: base, path: '/groups', query: {}, rel: 'ec:acc/group', items: embedded, total, page, size });
    return reply.type(HAL_JSON).send(body);
  });

  app.post('/groups', {
    schema: { tags, summary: 'Create a group (needs groups:write)', body: CreateGroupBody, response: { 201: GroupResource, ...errorResponses } },
  }, async (request, reply) => {
    const group = await groups.create(await actor(request), request.body);
    return reply.code(201).type(HAL_JSON).header('location', groupHref(group.id)).send(resource(group));
  });

  app.get('/groups/:id', {
    schema: { tags, summary: 'One group with its members (needs groups:read)', params: GroupParams, response: { 200: GroupResource, ...errorResponses } },
  }, async (request, reply) => reply.type(HAL_JSON).send(resource(await groups.get(await actor(request), request.params.id))));

  app.put('/groups/:id', {
    schema: {
      tags,
      summary: 'Rename a group, replace its permissions or its members (needs groups:write; built-in groups keep name and permissions)',
      params: GroupParams,
      body: UpdateGroupBody,
      response: { 200: GroupResource, ...errorResponses },
    },
  }, async (request, reply) => reply.type(HAL_JSON).send(resource(await groups.update(await actor(request), request.params.id, request.body))));

  app.delete('/groups/:id', {
    schema: { tags, summary: 'Delete a group with its memberships and permissions (needs groups:write; not the built-ins)', params: GroupParams, response: noContent },
  }, async (request, reply) => {
    await groups.remove(await actor(request), request.params.id);
    return reply.code(204).send(null);
  });

  app.put('/groups/:id/accounts/:accountId', {
    schema: { tags, summary: 'Add an account to a group (idempotent; needs groups:write)', params: MembershipParams, response: noContent },
  }, async (request, reply) => {
    await groups.addMember(await actor(request), request.params.id, request.params.accountId);
    return reply.code(204).send(null);
  });

  app.delete('/groups/:id/accounts/:accountId', {
    schema: { tags, summary: 'Remove an account from a group (idempotent; needs groups:write)', params: MembershipParams, response: noContent },
  }, async (request, reply) => {
    await groups.removeMember(await actor(request), request.params.id, request.params.accountId);
    return reply.code(204).send(null);
  });
};
