import { beforeAll, describe, expect, it } from 'vitest';
import { dialects, type TestServer } from './helpers/server.js';
import {
  counts, expectHal, expectProblem, unknownId, useGroupsServer, type GroupsServer, type Member,
} from './helpers/groups.js';

/*
 * Groups (CONTRACT §5 "Groups", seed 000): membership feeding the members' effective permissions, and every
 * permission boundary (no escalation, built-in groups fixed).
 */

describe.each(dialects)('groups (%s)', (dialect) => {
  const cast = useGroupsServer(dialect);
  let server: TestServer, base: string, sys: string, sysId: string;
  let alice: Member, bob: Member, carol: Member, dave: Member, create: GroupsServer['create'];
  beforeAll(() => {
    ({ server, base, sys, sysId, alice, bob, carol, dave, create } = cast);
  });

  describe('membership and effective permissions', () => {
    it('gives a group’s permissions to its members, and takes them away again', async () => {
      const readers = await create(sys, { name: 'readers', permissions: ['groups:read'] });
      const id = readers.body.id;
      expectProblem(await server.request('GET', '/groups', { token: dave.accessToken }), 403, 'forbidden');

      expect((await server.request('PUT', `/groups/${id}/accounts/${dave.userId}`, { token: sys })).status).toBe(204);
      expect((await server.request('PUT', `/groups/${id}/accounts/${dave.userId}`, { token: sys })).status).toBe(204);
      const group = await server.request('GET', `/groups/${id}`, { token: sys });
      expect(group.body.accounts).toEqual([dave.userId]);
      expect(group.body._links['ec:account']).toEqual([{ href: `${base}/accounts/${dave.userId}` }]);
      expect((await server.request('GET', '/api/auth/account', { token: dave.accessToken })).body.groups).toContain('readers');

      expectHal(await server.request('GET', '/groups', { token: dave.accessToken }), 200);
      expectHal(await server.request('GET', `/groups/${id}`, { token: dave.accessToken }), 200);
      expectProblem(await create(dave.accessToken, { name: 'not-allowed' }), 403, 'forbidden');

      expect((await server.request('DELETE', `/groups/${id}/accounts/${dave.userId}`, { token: sys })).status).toBe(204);
      expect((await server.request('DELETE', `/groups/${id}/accounts/${dave.userId}`, { token: sys })).status).toBe(204);
      expectProblem(await server.request('GET', '/groups', { token: dave.accessToken }), 403, 'forbidden');

      // Deleting the group takes its permissions away from its members too.
      await server.request('PUT', `/groups/${id}/accounts/${dave.userId}`, { token: sys });
      expectHal(await server.request('GET', '/groups', { token: dave.accessToken }), 200);
      expect((await server.request('DELETE', `/groups/${id}`, { token: sys })).status).toBe(204);
      expectProblem(await server.request('GET', '/groups', { token: dave.accessToken }), 403, 'forbidden');
    });

    it('changing a group’s permissions changes its members’ at once', async () => {
      const group = await create(sys, { name: 'switchable', permissions: [], accounts: [dave.userId] });
      expect(group.body.accounts).toEqual([dave.userId]);
      expectProblem(await server.request('GET', '/groups', { token: dave.accessToken }), 403, 'forbidden');
      await server.request('PUT', `/groups/${group.body.id}`, { token: sys, json: { permissions: ['groups:read,write'] } });
      expectHal(await server.request('GET', '/groups', { token: dave.accessToken }), 200);
      await server.request('PUT', `/groups/${group.body.id}`, { token: sys, json: { permissions: ['groups:write'] } });
      expectProblem(await server.request('GET', '/groups', { token: dave.accessToken }), 403, 'forbidden');
      await server.request('DELETE', `/groups/${group.body.id}`, { token: sys });
    });

    it('membership of a built-in group is the role', async () => {
      expect((await server.request('PUT', `/groups/admin/accounts/${dave.userId}`, { token: sys })).status).toBe(204);
      const account = await server.request('GET', '/api/auth/account', { token: dave.accessToken });
      expect(account.body.roles).toEqual(['user', 'admin']);
      expectHal(await server.request('GET', '/groups', { token: dave.accessToken }), 200);
      expect((await server.request('DELETE', `/groups/admin/accounts/${dave.userId}`, { token: sys })).status).toBe(204);
      expect((await server.request('GET', '/api/auth/account', { token: dave.accessToken })).body.roles).toEqual(['user']);
      expectProblem(await server.request('GET', '/groups', { token: dave.accessToken }), 403, 'forbidden');
    });
  });

  describe('permission boundaries', () => {
    it('answers 401 to a caller without a credential on every endpoint', async () => {
      for (const [method, path] of endpoints('admin', unknownId)) {
        const answer = await server.request(method, path, { json: bodyFor(method, path) });
        expectProblem(answer, 401, 'unauthorized');
        expect(answer.headers.get('x-error-code')).toBe('unauthorized');
      }
    });

    it('answers 403 to a plain user on every endpoint, and stores nothing', async () => {
      const target = await create(sys, { name: 'plain-target', permissions: ['groups:read'] });
      const before = await counts(server);
      for (const [method, path] of endpoints(target.body.id, alice.userId)) {
        expectProblem(await server.request(method, path, { token: alice.accessToken, json: bodyFor(method, path) }), 403, 'forbidden');
      }
      for (const [method, path] of endpoints('admin', alice.userId)) {
        expectProblem(await server.request(method, path, { token: alice.accessToken, json: bodyFor(method, path) }), 403, 'forbidden');
      }
      expect(await counts(server)).toEqual(before);
    });

    it('lets a group admin (groups:*) use every endpoint', async () => {
      const token = bob.accessToken;
      expectHal(await server.request('GET', '/groups', { token }), 200);
      const created = await create(token, { name: 'bobs-group', permissions: ['groups:read'] });
      expectHal(created, 201);
      const id = created.body.id;
      expectHal(await server.request('GET', `/groups/${id}`, { token }), 200);
      expectHal(await server.request('PUT', `/groups/${id}`, { token, json: { name: 'bobs-group-2', permissions: ['groups:read,write'] } }), 200);
      expect((await server.request('PUT', `/groups/${id}/accounts/${alice.userId}`, { token })).status).toBe(204);
      expectHal(await server.request('GET', '/groups', { token: alice.accessToken }), 200);
      expect((await server.request('DELETE', `/groups/${id}/accounts/${alice.userId}`, { token })).status).toBe(204);
      expect((await server.request('DELETE', `/groups/${id}`, { token })).status).toBe(204);
      expectHal(await server.request('GET', '/groups/admin', { token }), 200);
    });

    it('keeps a group admin from granting what it does not hold', async () => {
      const token = bob.accessToken;
      const starGroup = await create(sys, { name: 'star-group', permissions: ['*'] });
      const before = await counts(server);
      expectProblem(await create(token, { name: 'sneaky', permissions: ['accounts:read'] }), 403, 'forbidden');
      expectProblem(await create(token, { name: 'sneaky', permissions: ['*'] }), 403, 'forbidden');
      expectProblem(await server.request('PUT', `/groups/${starGroup.body.id}/accounts/${bob.userId}`, { token }), 403, 'forbidden');
      expectProblem(await server.request('PUT', `/groups/${starGroup.body.id}`, { token, json: { accounts: [bob.userId] } }), 403, 'forbidden');
      expectProblem(await server.request('PUT', `/groups/${starGroup.body.id}`, { token, json: { permissions: ['groups:read'] } }), 403, 'forbidden');
      expectProblem(await server.request('DELETE', `/groups/${starGroup.body.id}`, { token }), 403, 'forbidden');
      expectProblem(await server.request('PUT', `/groups/admin/accounts/${bob.userId}`, { token }), 403, 'forbidden');
      expectProblem(await server.request('PUT', `/groups/sysadmin/accounts/${bob.userId}`, { token }), 403, 'forbidden');
      expectProblem(await server.request('DELETE', `/groups/admin/accounts/${carol.userId}`, { token }), 403, 'forbidden');
      expectProblem(await server.request('PUT', '/groups/admin', { token, json: { accounts: [bob.userId, carol.userId] } }), 403, 'forbidden');
      expect(await counts(server)).toEqual(before);
      expect((await server.request('GET', `/groups/${starGroup.body.id}`, { token: sys })).body.accounts).toEqual([]);
    });

    it('lets an admin manage the admin group but never reach sysadmin', async () => {
      const token = carol.accessToken;
      expect((await server.request('PUT', `/groups/admin/accounts/${dave.userId}`, { token })).status).toBe(204);
      expect((await server.request('GET', '/groups/admin', { token })).body.accounts).toContain(dave.userId);
      expect((await server.request('DELETE', `/groups/admin/accounts/${dave.userId}`, { token })).status).toBe(204);

      const before = await counts(server);
      expectProblem(await server.request('PUT', `/groups/sysadmin/accounts/${carol.userId}`, { token }), 403, 'forbidden');
      expectProblem(await server.request('PUT', `/groups/sysadmin/accounts/${dave.userId}`, { token }), 403, 'forbidden');
      expectProblem(await server.request('DELETE', `/groups/sysadmin/accounts/${sysId}`, { token }), 403, 'forbidden');
      expectProblem(await server.request('PUT', '/groups/sysadmin', { token, json: { accounts: [sysId, carol.userId] } }), 403, 'forbidden');
      expectProblem(await create(token, { name: 'all-powerful', permissions: ['*'] }), 403, 'forbidden');
      expectProblem(await create(token, { name: 'config', permissions: ['system:config'] }), 403, 'forbidden');
      expect(await counts(server)).toEqual(before);
      expect((await server.request('GET', '/groups/sysadmin', { token })).body.accounts).toEqual([sysId]);

      // What an admin holds, it may hand out.
      const ok = await create(token, { name: 'account-readers', permissions: ['accounts:read', 'clients:*'], accounts: [dave.userId] });
      expectHal(ok, 201);
      expect((await server.request('DELETE', `/groups/${ok.body.id}`, { token })).status).toBe(204);
    });

    it('lets a sysadmin grant and revoke sysadmin', async () => {
      expect((await server.request('PUT', `/groups/sysadmin/accounts/${dave.userId}`, { token: sys })).status).toBe(204);
      expect((await server.request('GET', '/api/auth/account', { token: dave.accessToken })).body.roles).toContain('sysadmin');
      expect((await server.request('DELETE', `/groups/sysadmin/accounts/${dave.userId}`, { token: sys })).status).toBe(204);
      expect((await server.request('GET', '/api/auth/account', { token: dave.accessToken })).body.roles).toEqual(['user']);
    });
  });
});

/** Every group endpoint, aimed at one group and one account. */
function endpoints(groupId: string, accountId: string): Array<[string, string]> {
  return [
    ['GET', '/groups'],
    ['POST', '/groups'],
    ['GET', `/groups/${groupId}`],
    ['PUT', `/groups/${groupId}`],
    ['DELETE', `/groups/${groupId}`],
    ['PUT', `/groups/${groupId}/accounts/${accountId}`],
    ['DELETE', `/groups/${groupId}/accounts/${accountId}`],
  ];
}

/** A valid body for the endpoints that take one, so the answer is about permission, not input. */
function bodyFor(method: string, path: string): unknown {
  if (method === 'POST') return { name: 'forbidden-group', permissions: ['groups:read'] };
  if (method === 'PUT' && !path.includes('/accounts/')) return { name: 'renamed' };
  return undefined;
}
