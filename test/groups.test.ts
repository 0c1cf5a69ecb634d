import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rolePermissions } from '../src/permissions/wildcard.js';
import { dialects, registerAndLogin, startServer, type Answer, type TestServer } from './helpers/server.js';

/*
 * Groups (CONTRACT §5 "Groups", seed 000): CRUD over the real socket, HAL lists and links, membership feeding the
 * members' effective permissions, every permission boundary (no escalation, built-in groups fixed), and bad input
 * that stores nothing.
 */

const unknownId = '00000000-0000-4000-8000-000000000000';
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function expectProblem(answer: Answer, status: number, code: string, fields: string[] = []): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.body).toMatchObject({ status, code, title: expect.any(String), detail: expect.any(String) });
  if (fields.length) {
    const named = (answer.body.errors ?? []).map((e: { field: string }) => e.field);
    for (const field of fields) expect(named, answer.text).toContain(field);
  }
}

function expectHal(answer: Answer, status: number): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/hal\+json/);
}

async function counts(server: TestServer): Promise<Record<string, number>> {
  const db = server.app.services.database.db;
  const result: Record<string, number> = {};
  for (const table of ['groups', 'memberships', 'permissions', 'accounts'] as const) {
    const row = await db.selectFrom(table).select(db.fn.countAll().as('n')).executeTakeFirstOrThrow();
    result[table] = Number(row.n);
  }
  return result;
}

describe.each(dialects)('groups (%s)', (dialect) => {
  let server: TestServer;
  let base: string;
  /** sysadmin (the bootstrap admin). */
  let sys: string;
  let sysId: string;
  /** A plain user. */
  let alice: { userId: string; accessToken: string };
  /** Holds `groups:*` through a group, nothing else. */
  let bob: { userId: string; accessToken: string };
  /** Holds the admin role. */
  let carol: { userId: string; accessToken: string };
  /** A user to move between groups. */
  let dave: { userId: string; accessToken: string };

  const create = async (token: string, json: unknown) => server.request('POST', '/groups', { token, json });

  beforeAll(async () => {
    server = await startServer(dialect, { env: { GATEHOUSE_ADMIN_PASSWORD: 'bootstrap-pw' } });
    base = server.url;
    const login = await server.request('POST', '/api/auth/login', { json: { username: 'admin', password: 'bootstrap-pw' } });
    sys = login.body.accessToken;
    sysId = login.body.userId;
    alice = await registerAndLogin(server, 'alice@example.com');
    bob = await registerAndLogin(server, 'bob@example.com');
    carol = await registerAndLogin(server, 'carol@example.com');
    dave = await registerAndLogin(server, 'dave@example.com');
    const groupAdmins = await create(sys, { name: 'group-admins', permissions: ['groups:*'] });
    expect(groupAdmins.status, groupAdmins.text).toBe(201);
    expect((await server.request('PUT', `/groups/${groupAdmins.body.id}/accounts/${bob.userId}`, { token: sys })).status).toBe(204);
    expect((await server.request('PUT', `/groups/admin/accounts/${carol.userId}`, { token: sys })).status).toBe(204);
  });

  afterAll(async () => {
    await server?.close();
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

  describe('bad input', () => {
    let groupId: string;
    beforeAll(async () => {
      groupId = (await create(sys, { name: 'bad-input-target', permissions: ['groups:read'] })).body.id;
    });

    const injections = [`' OR 1=1 --`, '<script>alert(1)</script>', `x"; DROP TABLE groups; --`, 'a\u0000b'];
    const badPermissions = ['a::b', ':', 'a,,b', '', 'a:', ',a', 'acc*', 'a b', 'x'.repeat(257), ...injections];

    type Init = { json?: unknown; body?: string; headers?: Record<string, string> };
    type Case = [name: string, method: string, path: () => string, init: Init | (() => Init), status: number, code: string, fields: string[]];
    const cases: Case[] = [
      ['name is a number', 'POST', () => '/groups', { json: { name: 123 } }, 400, 'invalid-request', ['name']],
      ['name is null', 'POST', () => '/groups', { json: { name: null } }, 400, 'invalid-request', ['name']],
      ['name missing', 'POST', () => '/groups', { json: { permissions: [] } }, 400, 'invalid-request', ['name']],
      ['empty name', 'POST', () => '/groups', { json: { name: '' } }, 400, 'invalid-request', ['name']],
      ['name of 65 characters', 'POST', () => '/groups', { json: { name: 'n'.repeat(65) } }, 400, 'invalid-request', ['name']],
      ['name with a space', 'POST', () => '/groups', { json: { name: 'a b' } }, 400, 'invalid-request', ['name']],
      ['name with a non-ASCII letter', 'POST', () => '/groups', { json: { name: 'grüppe' } }, 400, 'invalid-request', ['name']],
      ['unknown field id', 'POST', () => '/groups', { json: { name: 'ok-name', id: 'admin' } }, 400, 'invalid-request', ['id']],
      ['unknown field builtin', 'POST', () => '/groups', { json: { name: 'ok-name', builtin: true } }, 400, 'invalid-request', ['builtin']],
      ['permissions is a string', 'POST', () => '/groups', { json: { name: 'ok-name', permissions: 'groups:read' } }, 400, 'invalid-request', ['permissions']],
      ['a permission is a number', 'POST', () => '/groups', { json: { name: 'ok-name', permissions: [1] } }, 400, 'invalid-request', ['permissions.0']],
      ['a permission is an object', 'POST', () => '/groups', { json: { name: 'ok-name', permissions: ['a', { $ne: 1 }] } }, 400, 'invalid-request', ['permissions.1']],
      ['101 permissions', 'POST', () => '/groups', { json: { name: 'ok-name', permissions: Array.from({ length: 101 }, (_, i) => `p${i}`) } }, 400, 'invalid-request', ['permissions']],
      ['accounts is not an array', 'POST', () => '/groups', { json: { name: 'ok-name', accounts: 'x' } }, 400, 'invalid-request', ['accounts']],
      ['an account id is not a UUID', 'POST', () => '/groups', { json: { name: 'ok-name', accounts: ['admin'] } }, 400, 'invalid-request', ['accounts.0']],
      ['an unknown account', 'POST', () => '/groups', { json: { name: 'ok-name', accounts: [unknownId] } }, 400, 'invalid-request', ['accounts.0']],
      ['broken JSON', 'POST', () => '/groups', { body: '{"name":', headers: { 'content-type': 'application/json' } }, 400, 'invalid-request', ['body']],
      ['a JSON array', 'POST', () => '/groups', { json: [] }, 400, 'invalid-request', ['body']],
      ['a JSON null', 'POST', () => '/groups', { json: null }, 400, 'invalid-request', ['body']],
      ['XML', 'POST', () => '/groups', { body: '<name>x</name>', headers: { 'content-type': 'application/xml' } }, 415, 'unsupported-media-type', []],
      ['a body over 64 KiB', 'POST', () => '/groups', { json: { name: 'big', permissions: ['a'.repeat(70 * 1024)] } }, 413, 'payload-too-large', []],
      ['a __proto__ key', 'POST', () => '/groups', { body: '{"__proto__":{"builtin":1},"name":"proto"}', headers: { 'content-type': 'application/json' } }, 400, 'invalid-request', ['body']],
      ['PUT name is a number', 'PUT', () => `/groups/${groupId}`, { json: { name: 5 } }, 400, 'invalid-request', ['name']],
      ['PUT unknown field', 'PUT', () => `/groups/${groupId}`, { json: { accountsX: [] } }, 400, 'invalid-request', ['accountsX']],
      ['PUT permissions null', 'PUT', () => `/groups/${groupId}`, { json: { permissions: null } }, 400, 'invalid-request', ['permissions']],
      ['PUT bad permission after good ones', 'PUT', () => `/groups/${groupId}`, { json: { permissions: ['groups:read', 'a::b'] } }, 400, 'invalid-request', ['permissions.1']],
      ['PUT an unknown account', 'PUT', () => `/groups/${groupId}`, () => ({ json: { accounts: [alice.userId, unknownId] } }), 400, 'invalid-request', ['accounts.1']],
      ['PUT without a body', 'PUT', () => `/groups/${groupId}`, {}, 400, 'invalid-request', []],
      ['group id with upper case', 'GET', () => '/groups/ADMIN', {}, 400, 'invalid-request', ['id']],
      ['group id of 65 characters', 'GET', () => `/groups/${'a'.repeat(65)}`, {}, 400, 'invalid-request', ['id']],
      ['group id with a quote', 'GET', () => `/groups/${encodeURIComponent("a' OR 1=1")}`, {}, 400, 'invalid-request', ['id']],
      ['group id with NUL', 'DELETE', () => '/groups/a%00b', {}, 400, 'invalid-request', ['id']],
      ['account id not a UUID', 'PUT', () => `/groups/${groupId}/accounts/not-a-uuid`, {}, 400, 'invalid-request', ['accountId']],
      ['account id injection', 'DELETE', () => `/groups/${groupId}/accounts/${encodeURIComponent("1' OR '1'='1")}`, {}, 400, 'invalid-request', ['accountId']],
      ['page 0', 'GET', () => '/groups?page=0', {}, 400, 'invalid-request', ['page']],
      ['page not a number', 'GET', () => '/groups?page=abc', {}, 400, 'invalid-request', ['page']],
      ['size 101', 'GET', () => '/groups?size=101', {}, 400, 'invalid-request', ['size']],
      ['size negative', 'GET', () => '/groups?size=-1', {}, 400, 'invalid-request', ['size']],
      ...badPermissions.map((permission): Case => [`permission ${JSON.stringify(permission).slice(0, 40)}`, 'POST', () => '/groups', { json: { name: 'ok-name', permissions: [permission] } }, 400, 'invalid-request', ['permissions.0']]),
      ...injections.map((name): Case => [`name ${JSON.stringify(name)}`, 'POST', () => '/groups', { json: { name } }, 400, 'invalid-request', ['name']]),
      ...injections.map((name): Case => [`PUT name ${JSON.stringify(name)}`, 'PUT', () => `/groups/${groupId}`, { json: { name } }, 400, 'invalid-request', ['name']]),
    ];

    it.each(cases)('%s → %i %s', async (_name, method, path, init, status, code, fields) => {
      const before = await counts(server);
      const snapshot = await server.request('GET', `/groups/${groupId}`, { token: sys });
      const answer = await server.request(method, path(), { token: sys, ...(typeof init === 'function' ? init() : init) });
      expectProblem(answer, status, code, fields);
      expect(await counts(server)).toEqual(before);
      expect((await server.request('GET', `/groups/${groupId}`, { token: sys })).body).toEqual(snapshot.body);
    });

    it('stores nothing of a request that fails on its last entry', async () => {
      const before = await counts(server);
      const answer = await create(sys, { name: 'partial', permissions: ['groups:read', 'accounts:read', 'a,,b'], accounts: [alice.userId] });
      expectProblem(answer, 400, 'invalid-request', ['permissions.2']);
      expect(await counts(server)).toEqual(before);
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
