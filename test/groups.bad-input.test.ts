import { beforeAll, describe, expect, it } from 'vitest';
import { dialects, type TestServer } from './helpers/server.js';
import { counts, expectProblem, unknownId, useGroupsServer, type GroupsServer, type Member } from './helpers/groups.js';

/*
 * Groups (CONTRACT §5 "Groups", seed 000): bad input on every endpoint gets problem+json naming the field, and
 * stores nothing.
 */

describe.each(dialects)('groups (%s)', (dialect) => {
  const cast = useGroupsServer(dialect);
  let server: TestServer, sys: string;
  let alice: Member, create: GroupsServer['create'];
  beforeAll(() => {
    ({ server, sys, alice, create } = cast);
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
