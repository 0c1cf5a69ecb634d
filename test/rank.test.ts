import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outranksOrEquals, rankShortfall } from '../src/permissions/rank.js';
import { rolePermissions } from '../src/permissions/wildcard.js';
import { dialects, goodPassword, registerAndLogin, startServer, type Answer, type TestServer } from './helpers/server.js';

/*
 * No one acts above their rank (CONTRACT §3): an `admin`, a member of a custom group holding `accounts:*`, and an
 * API key each try every administrative route on a `sysadmin` and get 403 with nothing changed; the same routes
 * work on an ordinary user, and for a sysadmin on an admin. Escalation by granting is refused too.
 */

const newPassword = 'Brand-New-Secret-77';

/** The session id (`sid`) of an access token. */
function sessionOf(token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')).sid;
}

function expectForbidden(answer: Answer, what: string): void {
  expect(answer.status, `${what}: ${answer.text}`).toBe(403);
  expect(answer.body?.code, what).toBe('forbidden');
}

function expectOk(answer: Answer, what: string): void {
  expect([200, 204], `${what}: ${answer.text}`).toContain(answer.status);
}

describe('rank (outranks or equals)', () => {
  const sysadmin = { roles: ['user', 'sysadmin'], permissions: [...rolePermissions.sysadmin!] };
  const admin = { roles: ['user', 'admin'], permissions: [...rolePermissions.admin!] };
  const plain = { roles: ['user'], permissions: [] };
  const apiKey = (permissions: string[]) => ({ roles: [], permissions });

  it('needs every ranked role and every permission of the target', () => {
    expect(rankShortfall(admin, sysadmin)).toEqual(['role sysadmin', '*']);
    expect(outranksOrEquals(sysadmin, admin)).toBe(true);
    expect(outranksOrEquals(admin, admin)).toBe(true);
    expect(outranksOrEquals(admin, plain)).toBe(true);
    expect(rankShortfall(apiKey([...rolePermissions.admin!]), admin)).toEqual(['role admin']);
    expect(rankShortfall(apiKey(['accounts:write']), { roles: ['user'], permissions: ['accounts:read', 'accounts:write'] })).toEqual(['accounts:read']);
    expect(outranksOrEquals(apiKey(['accounts']), { roles: [], permissions: ['ACCOUNTS:read,write'] })).toBe(true);
  });

  it('does not compare `user`, which grants nothing, nor a stored string that grants nothing', () => {
    expect(outranksOrEquals(apiKey(['accounts:*']), plain)).toBe(true);
    expect(outranksOrEquals(plain, { roles: [], permissions: [':', ' '] })).toBe(true);
  });
});

describe.each(dialects)('no one acts above their rank (%s)', (dialect) => {
  let server: TestServer;
  let sys: string;
  /** A second sysadmin: the target (deleting the bootstrap one would stop at "the last sysadmin" instead). */
  let target: { userId: string; email: string };
  let carol: { userId: string; accessToken: string; email: string };
  /** Member of `account-managers` (accounts:*, sessions:*, groups:*), no role. */
  let dan: { userId: string; accessToken: string };
  /** An API key carol made and gave accounts:*, sessions:*, groups:*. */
  let apiKey: { userId: string; accessToken: string };
  /** A group whose only permission every actor holds; the target is a member. */
  let readers: string;
  /** A group granting `*`. */
  let everything: string;
  let managers: string;
  let users = 0;
  let groupsMade = 0;

  const request = (method: string, path: string, token: string, json?: unknown) => server.request(method, path, { token, json });
  const login = (username: string, password: string) => server.request('POST', '/api/auth/login', { json: { username, password } });
  const newUser = async () => {
    const email = `user${++users}@example.com`;
    return { ...(await registerAndLogin(server, email)), email };
  };
  const viewOf = async (id: string) => (await request('GET', `/accounts/${id}`, sys)).body;
  /** A group (granting accounts:read) with `id` as its only member. */
  const soloGroup = async (id: string) => {
    const created = await request('POST', '/groups', sys, { name: `solo-${++groupsMade}`, permissions: ['accounts:read'], accounts: [id] });
    expect(created.status, created.text).toBe(201);
    return created.body.id as string;
  };

  beforeAll(async () => {
    server = await startServer(dialect, { env: { GATEHOUSE_ADMIN_PASSWORD: 'bootstrap-pw' } });
    sys = (await login('admin', 'bootstrap-pw')).body.accessToken;
    target = await newUser();
    expect((await request('PUT', `/groups/sysadmin/accounts/${target.userId}`, sys)).status).toBe(204);
    carol = await newUser();
    expect((await request('PUT', `/groups/admin/accounts/${carol.userId}`, sys)).status).toBe(204);
    dan = await newUser();
    const created = await request('POST', '/groups', sys, { name: 'account-managers', permissions: ['accounts:*', 'sessions:*', 'groups:*'], accounts: [dan.userId] });
    expect(created.status, created.text).toBe(201);
    managers = created.body.id;
    readers = (await request('POST', '/groups', sys, { name: 'readers', permissions: ['accounts:read'], accounts: [target.userId] })).body.id;
    everything = (await request('POST', '/groups', sys, { name: 'everything', permissions: ['*'] })).body.id;
    const key = await request('POST', '/accounts/create-anonymous', carol.accessToken);
    expect(key.status, key.text).toBe(201);
    apiKey = { userId: key.body.accountID, accessToken: key.body.jwt };
    const granted = await request('PUT', `/accounts/${apiKey.userId}`, carol.accessToken, { permissions: ['accounts:*', 'sessions:*', 'groups:*'] });
    expect(granted.status, granted.text).toBe(200);
  });
  afterAll(async () => server?.close());

  /**
   * Every administrative route on account `id` (ending its session `sessionId` first, before a password change ends
   * it anyway); `group` is a group of which `id` is the only member, emptied by a replacement of its members.
   */
  const everyRoute = (id: string, username: string, sessionId: string, group: string): Array<[string, string, unknown]> => [
    ['DELETE', `/accounts/${id}/tokens/${sessionId}`, undefined],
    ['PUT', `/accounts/${id}`, { password: newPassword }],
    ['PUT', `/accounts/${id}`, { email: `taken-over-${id}@example.com` }],
    ['PUT', `/accounts/${id}`, { confirmed: false }],
    ['PUT', `/accounts/${id}`, { language: 'de' }],
    ['PUT', '/api/auth/admin/account', { id, password: newPassword }],
    ['PUT', '/api/auth/admin/account', { username, email: `taken-over-${id}@example.com` }],
    ['PUT', '/api/auth/admin/account', { id, confirmed: false }],
    ['PUT', `/groups/${group}`, { accounts: [] }],
    ['PUT', `/groups/${readers}/accounts/${id}`, undefined],
    ['DELETE', `/groups/${readers}/accounts/${id}`, undefined],
    ['POST', '/groups', { name: `with-${id}`, accounts: [id] }],
    ['DELETE', `/accounts/${id}`, undefined],
  ];

  describe.each([
    ['an admin', () => carol],
    ['a custom group with accounts:*', () => dan],
    ['an API key', () => apiKey],
  ])('%s against a sysadmin', (_label, actorOf) => {
    it('gets 403 forbidden on every route, and nothing changes', async () => {
      const actor = actorOf();
      const session = (await login(target.email, goodPassword)).body.accessToken;
      const solo = await soloGroup(target.userId);
      const before = await viewOf(target.userId);
      const groupsBefore = (await request('GET', '/groups?size=100', sys)).body.total;
      for (const [method, path, json] of everyRoute(target.userId, before.username, sessionOf(session), solo)) {
        expectForbidden(await request(method, path, actor.accessToken, json), `${method} ${path} ${JSON.stringify(json)}`);
      }
      expect(await viewOf(target.userId)).toEqual(before);
      expect(before).toMatchObject({ email: target.email, confirmed: true, language: null, roles: expect.arrayContaining(['sysadmin']) });
      expect(before.groups).toEqual(expect.arrayContaining(['readers', expect.stringMatching(/^solo-/)]));
      expect((await request('GET', `/groups/${solo}`, sys)).body.accounts).toEqual([target.userId]);
      expect((await request('GET', '/api/auth/account', session)).status).toBe(200);
      expect((await login(target.email, goodPassword)).status).toBe(200);
      expect((await login(target.email, newPassword)).status).toBe(401);
      expect((await request('GET', '/groups?size=100', sys)).body.total).toBe(groupsBefore);
    });
  });

  it('keeps an API key from managing the admin that made it', async () => {
    const session = (await login(carol.email, goodPassword)).body.accessToken;
    const solo = await soloGroup(carol.userId);
    const before = await viewOf(carol.userId);
    for (const [method, path, json] of everyRoute(carol.userId, before.username, sessionOf(session), solo)) {
      expectForbidden(await request(method, path, apiKey.accessToken, json), `${method} ${path}`);
    }
    expect(await viewOf(carol.userId)).toEqual(before);
    expect((await request('GET', '/api/auth/account', session)).status).toBe(200);
  });

  it('keeps a custom group holding what admin holds from managing an admin (it lacks the role)', async () => {
    expectForbidden(await request('PUT', `/accounts/${carol.userId}`, dan.accessToken, { password: newPassword }), 'dan on carol');
    expectForbidden(await request('DELETE', `/accounts/${carol.userId}`, dan.accessToken), 'dan deletes carol');
  });

  describe.each([
    ['an admin', () => carol],
    ['a custom group with accounts:*', () => dan],
    ['an API key', () => apiKey],
  ])('%s on an ordinary user', (_label, actorOf) => {
    it('may use every route', async () => {
      const actor = actorOf();
      const user = await newUser();
      const solo = await soloGroup(user.userId);
      const username = (await viewOf(user.userId)).username;
      const routes = everyRoute(user.userId, username, sessionOf(user.accessToken), solo);
      for (const [method, path, json] of routes) {
        const answer = await request(method, path, actor.accessToken, json);
        if (method === 'POST') expect(answer.status, answer.text).toBe(201);
        else expectOk(answer, `${method} ${path} ${JSON.stringify(json)}`);
        if (path.startsWith('/api/auth/admin/account') && json && 'email' in (json as object)) {
          expect(answer.body.email).toBe(`taken-over-${user.userId}@example.com`);
        }
      }
      expect((await request('GET', `/accounts/${user.userId}`, sys)).status).toBe(404);
    });
  });

  it('lets a sysadmin manage an admin', async () => {
    const admin = await newUser();
    expect((await request('PUT', `/groups/admin/accounts/${admin.userId}`, sys)).status).toBe(204);
    const username = (await viewOf(admin.userId)).username;
    expectOk(await request('PUT', `/accounts/${admin.userId}`, sys, { password: newPassword }), 'password');
    expect((await login(admin.email, newPassword)).status).toBe(200);
    const session = (await login(admin.email, newPassword)).body.accessToken;
    expectOk(await request('DELETE', `/accounts/${admin.userId}/tokens/${sessionOf(session)}`, sys), 'end session');
    expect((await request('GET', '/api/auth/account', session)).status).toBe(401);
    expectOk(await request('PUT', '/api/auth/admin/account', sys, { username, confirmed: false, roles: [] }), 'admin/account');
    expect(await viewOf(admin.userId)).toMatchObject({ confirmed: false, roles: ['user'] });
    expectOk(await request('DELETE', `/accounts/${admin.userId}`, sys), 'delete');
  });

  it('lets anyone act on its own account through the admin routes', async () => {
    expectOk(await request('PUT', `/accounts/${carol.userId}`, carol.accessToken, { language: 'fr' }), 'own language');
    expect((await viewOf(carol.userId)).language).toBe('fr');
    expectOk(await request('PUT', `/groups/${readers}/accounts/${dan.userId}`, dan.accessToken), 'own membership');
  });

  describe('escalation by granting', () => {
    it('refuses roles, groups and permissions the actor does not hold, to others and to itself', async () => {
      // Accounts of its own, so that this test does not depend on the others.
      const [admin, manager, user] = [await newUser(), await newUser(), await newUser()];
      expect((await request('PUT', `/groups/admin/accounts/${admin.userId}`, sys)).status).toBe(204);
      expect((await request('PUT', `/groups/${managers}/accounts/${manager.userId}`, sys)).status).toBe(204);
      const attempts: Array<[string, string, unknown]> = [
        ['PUT', '/api/auth/admin/account', { id: admin.userId, roles: ['admin', 'sysadmin'] }],
        ['PUT', '/api/auth/admin/account', { id: user.userId, roles: ['sysadmin'] }],
        ['PUT', `/groups/sysadmin/accounts/${admin.userId}`, undefined],
        ['PUT', `/groups/sysadmin/accounts/${user.userId}`, undefined],
        ['PUT', `/accounts/${admin.userId}`, { permissions: ['*'] }],
        ['PUT', `/accounts/${user.userId}`, { permissions: ['system:config'] }],
        ['PUT', `/accounts/${user.userId}`, { groups: ['everything'] }],
        ['PUT', `/groups/${everything}/accounts/${admin.userId}`, undefined],
        ['PUT', `/groups/${everything}`, { accounts: [user.userId] }],
        ['PUT', `/groups/${readers}`, { permissions: ['accounts:read', '*'] }],
        ['POST', '/groups', { name: 'mine', permissions: ['*'], accounts: [admin.userId] }],
      ];
      const before = [await viewOf(admin.userId), await viewOf(user.userId)];
      const readersBefore = (await request('GET', `/groups/${readers}`, sys)).body;
      for (const [method, path, json] of attempts) {
        expectForbidden(await request(method, path, admin.accessToken, json), `${method} ${path} ${JSON.stringify(json)}`);
      }
      expectForbidden(await request('PUT', '/api/auth/admin/account', manager.accessToken, { id: manager.userId, roles: ['admin'] }), 'a manager makes itself admin');
      expectForbidden(await request('PUT', `/accounts/${manager.userId}`, manager.accessToken, { permissions: ['clients:*'] }), 'a manager grants itself clients:*');
      expectForbidden(await request('PUT', `/groups/${managers}`, manager.accessToken, { permissions: ['accounts:*', 'groups:*', 'sessions:*', '*'] }), 'a manager widens its group');
      expectForbidden(await request('PUT', '/api/auth/admin/account', apiKey.accessToken, { id: apiKey.userId, roles: ['admin'] }), 'key makes itself admin');
      expect([await viewOf(admin.userId), await viewOf(user.userId)]).toEqual(before);
      expect((await request('GET', `/groups/${readers}`, sys)).body).toEqual(readersBefore);
      expect((await viewOf(manager.userId)).roles).toEqual(['user']);
      expect((await viewOf(apiKey.userId)).roles).toEqual([]);
    });
  });
});
