import { beforeAll, describe, expect, it } from 'vitest';
import { rolePermissions } from '../src/permissions/wildcard.js';
import { dialects, type TestServer } from './helpers/server.js';
import {
  counts, expectHal, expectProblem, unknownId, useGroupsServer, type GroupsServer, type Member,
} from './helpers/groups.js';

/*
 * Groups (CONTRACT §5 "Groups", seed 000): CRUD over the real socket, HAL lists and links and paging, and the
 * built-in groups, which stay fixed.
 */

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe.each(dialects)('groups (%s)', (dialect) => {
  const cast = useGroupsServer(dialect);
  let server: TestServer, base: string, sys: string, sysId: string;
  let carol: Member, dave: Member, create: GroupsServer['create'];
  beforeAll(() => {
    ({ server, base, sys, sysId, carol, dave, create } = cast);
  });

  describe('CRUD', () => {
    it('creates, reads, updates and deletes a group as HAL', async () => {
      const created = await create(sys, { name: 'editors', permissions: ['accounts:read', 'Clients:READ', 'accounts:read'] });
      expectHal(created, 201);
      const id = created.body.id;
      expect(id).toMatch(uuid);
      expect(created.headers.get('location')).toBe(`${base}/groups/${id}`);
      expect(created.body).toMatchObject({ id, name: 'editors', permissions: ['accounts:read', 'clients:read'], accounts: [], builtin: false, createdAt: expect.any(String) });
      expect(created.body._links).toEqual({
        self: { href: `${base}/groups/${id}` },
        curies: [{ name: 'ec', href: `${base}/docs/rels/{rel}`, templated: true }],
        'ec:acc/groups': { href: `${base}/groups` },
        'ec:account': [],
      });

      const read = await server.request('GET', `/groups/${id}`, { token: sys });
      expectHal(read, 200);
      expect(read.body).toEqual(created.body);

      const updated = await server.request('PUT', `/groups/${id}`, { token: sys, json: { name: 'Editors.v2', permissions: ['accounts:write'], accounts: [dave.userId] } });
      expectHal(updated, 200);
      expect(updated.body).toMatchObject({ id, name: 'Editors.v2', permissions: ['accounts:write'], accounts: [dave.userId] });
      expect(updated.body._links['ec:account']).toEqual([{ href: `${base}/accounts/${dave.userId}` }]);
      expect((await server.request('GET', `/groups/${id}`, { token: sys })).body).toEqual(updated.body);

      const unchanged = await server.request('PUT', `/groups/${id}`, { token: sys, json: {} });
      expect(unchanged.body).toEqual(updated.body);

      const deleted = await server.request('DELETE', `/groups/${id}`, { token: sys });
      expect(deleted.status).toBe(204);
      expect(deleted.text).toBe('');
      expectProblem(await server.request('GET', `/groups/${id}`, { token: sys }), 404, 'not-found');
      expectProblem(await server.request('DELETE', `/groups/${id}`, { token: sys }), 404, 'not-found');
      const db = server.app.services.database.db;
      expect(await db.selectFrom('memberships').selectAll().where('group_id', '=', id).execute()).toEqual([]);
      expect(await db.selectFrom('permissions').selectAll().where('subject_id', '=', id).execute()).toEqual([]);
    });

    it('keeps names unique regardless of case, and reserves the role names', async () => {
      const first = await create(sys, { name: 'unique-name' });
      expectHal(first, 201);
      expectProblem(await create(sys, { name: 'UNIQUE-NAME' }), 409, 'conflict', ['name']);
      for (const name of ['admin', 'SysAdmin', 'user']) expectProblem(await create(sys, { name }), 409, 'conflict', ['name']);
      const other = await create(sys, { name: 'other-name' });
      expectProblem(await server.request('PUT', `/groups/${other.body.id}`, { token: sys, json: { name: 'Unique-Name' } }), 409, 'conflict', ['name']);
      // Renaming to its own name (in another case) is fine.
      expectHal(await server.request('PUT', `/groups/${other.body.id}`, { token: sys, json: { name: 'OTHER-name' } }), 200);
    });

    it('answers 404 not-found for unknown groups and accounts', async () => {
      const group = await create(sys, { name: 'for-404' });
      for (const [method, path] of [
        ['GET', `/groups/${unknownId}`], ['PUT', `/groups/${unknownId}`], ['DELETE', `/groups/${unknownId}`],
        ['GET', '/groups/nosuchgroup'],
        ['PUT', `/groups/${unknownId}/accounts/${dave.userId}`], ['DELETE', `/groups/${unknownId}/accounts/${dave.userId}`],
        ['PUT', `/groups/${group.body.id}/accounts/${unknownId}`], ['DELETE', `/groups/${group.body.id}/accounts/${unknownId}`],
      ] as const) {
        expectProblem(await server.request(method, path, { token: sys, json: method === 'PUT' && !path.includes('/accounts/') ? {} : undefined }), 404, 'not-found');
      }
    });
  });

  describe('built-in groups', () => {
    it('shows admin and sysadmin with their code-defined permissions and members', async () => {
      const admin = await server.request('GET', '/groups/admin', { token: sys });
      expectHal(admin, 200);
      expect(admin.body).toMatchObject({ id: 'admin', name: 'admin', builtin: true, permissions: [...rolePermissions.admin!], accounts: [carol.userId] });
      const sysadmin = await server.request('GET', '/groups/sysadmin', { token: sys });
      expect(sysadmin.body).toMatchObject({ id: 'sysadmin', builtin: true, permissions: ['*'], accounts: [sysId] });
    });

    it('refuses to rename, re-permission or delete them (403 forbidden), and accepts an unchanged PUT', async () => {
      const before = await counts(server);
      expectProblem(await server.request('PUT', '/groups/admin', { token: sys, json: { name: 'bosses' } }), 403, 'forbidden');
      expectProblem(await server.request('PUT', '/groups/admin', { token: sys, json: { permissions: ['*'] } }), 403, 'forbidden');
      expectProblem(await server.request('PUT', '/groups/sysadmin', { token: sys, json: { permissions: [] } }), 403, 'forbidden');
      expectProblem(await server.request('DELETE', '/groups/admin', { token: sys }), 403, 'forbidden');
      expectProblem(await server.request('DELETE', '/groups/sysadmin', { token: sys }), 403, 'forbidden');
      const same = await server.request('PUT', '/groups/admin', { token: sys, json: { name: 'admin', permissions: [...rolePermissions.admin!].reverse() } });
      expectHal(same, 200);
      expect(same.body.name).toBe('admin');
      expect(await counts(server)).toEqual(before);
    });

    it('never removes the last sysadmin', async () => {
      expectProblem(await server.request('DELETE', `/groups/sysadmin/accounts/${sysId}`, { token: sys }), 409, 'conflict');
      expectProblem(await server.request('PUT', '/groups/sysadmin', { token: sys, json: { accounts: [] } }), 409, 'conflict', ['accounts']);
      expectProblem(await server.request('PUT', '/api/auth/admin/account', { token: sys, json: { id: sysId, roles: [] } }), 409, 'conflict', ['roles']);
      expect((await server.request('GET', '/groups/sysadmin', { token: sys })).body.accounts).toEqual([sysId]);
    });
  });

  describe('paging', () => {
    it('pages 25 new groups by 10 with self, first, prev and next links, count and total', async () => {
      for (let i = 0; i < 25; i++) expect((await create(sys, { name: `page-${String(i).padStart(2, '0')}` })).status).toBe(201);
      const total = (await counts(server)).groups!;
      const pages = Math.ceil(total / 10);
      const first = await server.request('GET', '/groups?size=10', { token: sys });
      expectHal(first, 200);
      expect(first.body).toMatchObject({ count: 10, total });
      expect(first.body._links.self.href).toBe(`${base}/groups?page=1&size=10`);
      expect(first.body._links.first.href).toBe(`${base}/groups?page=1&size=10`);
      expect(first.body._links.next.href).toBe(`${base}/groups?page=2&size=10`);
      expect(first.body._links.prev).toBeUndefined();

      const seen: string[] = [];
      let answer = first;
      for (let page = 1; ; page++) {
        const items = answer.body._embedded['ec:acc/group'];
        for (const item of items) {
          expect(item._links.self.href).toBe(`${base}/groups/${item.id}`);
          expect(item).toMatchObject({ name: expect.any(String), permissions: expect.any(Array), builtin: expect.any(Boolean) });
          expect(item.accounts).toBeUndefined();
        }
        seen.push(...items.map((item: { name: string }) => item.name));
        expect(answer.body.count).toBe(items.length);
        if (page > 1) expect(answer.body._links.prev.href).toBe(`${base}/groups?page=${page - 1}&size=10`);
        if (!answer.body._links.next) {
          expect(page).toBe(pages);
          expect(answer.body.count).toBe(total - 10 * (pages - 1));
          break;
        }
        answer = await server.request('GET', new URL(answer.body._links.next.href).pathname + new URL(answer.body._links.next.href).search, { token: sys });
        expectHal(answer, 200);
      }
      expect(seen).toHaveLength(total);
      expect(new Set(seen).size).toBe(total);
      for (let i = 0; i < 25; i++) expect(seen).toContain(`page-${String(i).padStart(2, '0')}`);
      // By name ignoring case, in byte order on both dialects.
      expect(seen).toEqual([...seen].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)));

      const beyond = await server.request('GET', `/groups?size=10&page=${pages + 1}`, { token: sys });
      expect(beyond.body).toMatchObject({ count: 0, total });
      expect(beyond.body._links.prev.href).toBe(`${base}/groups?page=${pages}&size=10`);
      expect(beyond.body._links.next).toBeUndefined();
    });

    it('never echoes a ?_token= into the paging links', async () => {
      const answer = await server.request('GET', `/groups?size=5&_token=${sys}`);
      expectHal(answer, 200);
      expect(JSON.stringify(answer.body._links)).not.toContain(sys);
    });
  });
});
