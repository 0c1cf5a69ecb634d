import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, goodPassword, registerAndLogin, startServer, type TestServer } from './helpers/server.js';

type Listed = { id: string; createdAt: string; type: string };

/** The documented cursor of a listed account: base64url of `<createdAt ms>.<id>`. */
function cursorOf(account: { id: string; createdAt: string }): string {
  return Buffer.from(`${Date.parse(account.createdAt)}.${account.id}`).toString('base64url');
}

describe.each(dialects)('account server: accounts, sessions and API keys on %s', (dialect) => {
  let server: TestServer;
  let admin: string;
  let alice: { userId: string; accessToken: string };
  let bob: { userId: string; accessToken: string };
  beforeAll(async () => {
    server = await startServer(dialect, { env: { GATEHOUSE_ADMIN_PASSWORD: 'bootstrap-pw' } });
    admin = (await server.request('POST', '/api/auth/login', { json: { username: 'admin', password: 'bootstrap-pw' } })).body.accessToken;
    alice = await registerAndLogin(server, 'alice@example.com');
    bob = await registerAndLogin(server, 'bob@example.com');
    for (let i = 0; i < 23; i++) {
      await server.request('POST', '/api/auth/register', { json: { email: `filler${i}@example.com`, password: goodPassword } });
    }
  });
  afterAll(async () => server?.close());

  /** Every account id in list order, straight from the database (optionally one type's). */
  const allAccountIds = async (type?: string) => {
    let query = server.app.services.database.db.selectFrom('accounts').select(['id', 'created_at']);
    if (type) query = query.where('type', '=', type as 'user');
    const rows = await query.execute();
    return rows.sort((x, y) => x.created_at - y.created_at || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0)).map((row) => row.id);
  };
  /** Follows `next` links from `path` to the last page; each must carry the cursor of its page's last account. */
  const followNext = async (path: string) => {
    const pages: Listed[][] = [];
    for (let href: string | undefined = path; href;) {
      expect(pages.length).toBeLessThan(100);
      const answer = await server.request('GET', href, { token: admin });
      expect(answer.status).toBe(200);
      const items = answer.body._embedded['ec:account'] as Listed[];
      pages.push(items);
      href = answer.body._links.next?.href.slice(server.url.length);
      if (href) expect(new URL(href, server.url).searchParams.get('after')).toBe(cursorOf(items.at(-1)!));
    }
    return pages;
  };

  it('lists accounts as HAL with paging links, count and total', async () => {
    const first = await server.request('GET', '/accounts?size=10', { token: admin });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toContain('application/hal+json');
    expect(first.body).toMatchObject({ count: 10, total: 26 });
    expect(first.body._embedded['ec:account']).toHaveLength(10);
    const lastShown = first.body._embedded['ec:account'][9];
    expect(first.body._links.next.href).toBe(`${server.url}/accounts?page=2&size=10&after=${cursorOf(lastShown)}`);
    expect(first.body._links.prev).toBeUndefined();
    const last = await server.request('GET', '/accounts?size=10&page=3', { token: admin });
    expect(last.body.count).toBe(6);
    expect(last.body._links.next).toBeUndefined();
    expect(last.body._links.prev.href).toBe(`${server.url}/accounts?page=2&size=10`);
    const ids = new Set([...first.body._embedded['ec:account'], ...last.body._embedded['ec:account']].map((a: { id: string }) => a.id));
    expect(ids.size).toBe(16);
    const item = first.body._embedded['ec:account'][0];
    expect(item._links.self.href).toBe(`${server.url}/accounts/${item.id}`);
    expect(JSON.stringify(first.body)).not.toMatch(/argon2|secret_hash/);
  });

  it('filters by e-mail, type and group, keeping filters in the paging links', async () => {
    const byEmail = await server.request('GET', '/accounts?email=ALICE@example.com', { token: admin });
    expect(byEmail.body._embedded['ec:account'].map((a: { id: string }) => a.id)).toEqual([alice.userId]);
    await server.request('POST', '/accounts/create-anonymous', { token: admin });
    const keys = await server.request('GET', '/accounts?type=apikey&size=5', { token: admin });
    expect(keys.body.total).toBe(1);
    expect(keys.body._links.self.href).toContain('type=apikey');
    const sysadmins = await server.request('GET', '/accounts?group=sysadmin', { token: admin });
    expect(sysadmins.body._embedded['ec:account'].map((a: { username: string }) => a.username)).toEqual(['admin']);
  });

  it('lets a user read and change only its own account', async () => {
    expect((await server.request('GET', `/accounts/${alice.userId}`, { token: alice.accessToken })).body.email).toBe('alice@example.com');
    for (const [method, path, json] of [
      ['GET', '/accounts', undefined],
      ['GET', `/accounts/${bob.userId}`, undefined],
      ['PUT', `/accounts/${bob.userId}`, { language: 'de' }],
      ['DELETE', `/accounts/${bob.userId}`, undefined],
      ['GET', `/accounts/${bob.userId}/tokens`, undefined],
      ['POST', '/accounts/create-anonymous', undefined],
      // Granting oneself permissions, groups, confirmation or a new e-mail is administration.
      ['PUT', `/accounts/${alice.userId}`, { permissions: ['*'] }],
      ['PUT', `/accounts/${alice.userId}`, { email: 'takeover@example.com' }],
    ] as const) {
      const answer = await server.request(method, path, { token: alice.accessToken, json });
      expect({ method, path, status: answer.status, code: answer.body?.code }).toEqual({ method, path, status: 403, code: 'forbidden' });
    }
    expect((await server.request('GET', `/accounts/${bob.userId}`, { token: bob.accessToken })).body.permissions).toEqual([]);
  });

  it('lets an admin change e-mail, permissions, groups and confirmation, all checked before any write', async () => {
    const target = await registerAndLogin(server, 'target@example.com');
    const unknownGroup = await server.request('PUT', `/accounts/${target.userId}`, { token: admin, json: { email: 'changed@example.com', groups: ['nope'] } });
    expect(unknownGroup.status).toBe(400);
    expect(unknownGroup.body.errors[0].field).toBe('groups');
    expect((await server.request('GET', `/accounts/${target.userId}`, { token: admin })).body.email).toBe('target@example.com');
    const taken = await server.request('PUT', `/accounts/${target.userId}`, { token: admin, json: { email: 'bob@example.com' } });
    expect(taken.status).toBe(409);
    const role = await server.request('PUT', `/accounts/${target.userId}`, { token: admin, json: { groups: ['sysadmin'] } });
    expect(role.status).toBe(400);
    const changed = await server.request('PUT', `/accounts/${target.userId}`, {
      token: admin,
      json: { email: 'changed@example.com', permissions: ['clients:read', 'accounts:read'], confirmed: false, language: 'de' },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ email: 'changed@example.com', permissions: ['accounts:read', 'clients:read'], confirmed: false, language: 'de' });
    // The granted permission takes effect: the account may list accounts now.
    expect((await server.request('GET', '/accounts?size=1', { token: target.accessToken })).status).toBe(200);
  });

  it('lets an admin grant only what it holds itself, directly or through a group', async () => {
    const deputy = await registerAndLogin(server, 'deputy@example.com');
    await server.request('PUT', '/api/auth/admin/account', { token: admin, json: { id: deputy.userId, roles: ['admin'] } });
    const token = (await server.request('POST', '/api/auth/login', { json: { email: 'deputy@example.com', password: goodPassword } })).body.accessToken;
    const victim = await registerAndLogin(server, 'grantee@example.com');
    expect((await server.request('PUT', `/accounts/${victim.userId}`, { token, json: { permissions: ['accounts:read'] } })).status).toBe(200);
    for (const permissions of [['*'], ['system:config'], ['accounts:read', 'system:*']]) {
      const answer = await server.request('PUT', `/accounts/${victim.userId}`, { token, json: { permissions } });
      expect({ permissions, status: answer.status, code: answer.body.code }).toEqual({ permissions, status: 403, code: 'forbidden' });
    }
    const superGroup = await server.request('POST', '/groups', { token: admin, json: { name: 'root-like', permissions: ['*'] } });
    expect(superGroup.status).toBe(201);
    const joined = await server.request('PUT', `/accounts/${deputy.userId}`, { token, json: { groups: ['root-like'] } });
    expect(joined.status).toBe(403);
    expect((await server.request('GET', `/accounts/${deputy.userId}`, { token: admin })).body.groups).toEqual([]);
    // A sysadmin holds everything and may.
    expect((await server.request('PUT', `/accounts/${victim.userId}`, { token: admin, json: { permissions: ['System:Config'], groups: ['root-like'] } })).body)
      .toMatchObject({ permissions: ['system:config'], groups: ['root-like'] });
  });

  it('lists and ends an account’s sessions; a user its own, an admin anyone’s', async () => {
    const second = (await server.request('POST', '/api/auth/login', { json: { email: 'bob@example.com', password: goodPassword } })).body;
    const own = await server.request('GET', `/accounts/${bob.userId}/tokens`, { token: bob.accessToken });
    expect(own.status).toBe(200);
    const sessions = own.body._embedded['ec:account/token'];
    expect(sessions.length).toBeGreaterThanOrEqual(2);
    expect(Object.keys(sessions[0]).sort()).toEqual(['_links', 'clientId', 'id', 'inetAddress', 'lastAccess', 'loginExpiration', 'loginTime', 'method', 'userAgent']);
    const secondSession = sessions.find((s: { id: string }) => s.id !== JSON.parse(Buffer.from(bob.accessToken.split('.')[1]!, 'base64url').toString()).sid);
    expect((await server.request('GET', `/accounts/${bob.userId}/tokens/${secondSession.id}`, { token: admin })).body.method).toBe('password');
    expect((await server.request('DELETE', `/accounts/${bob.userId}/tokens/${secondSession.id}`, { token: alice.accessToken })).status).toBe(403);
    expect((await server.request('DELETE', `/accounts/${bob.userId}/tokens/${secondSession.id}`, { token: admin })).status).toBe(204);
    expect((await server.request('GET', '/api/auth/account', { token: second.accessToken })).headers.get('x-error-code')).toBe('token-revoked');
    expect((await server.request('DELETE', `/accounts/${bob.userId}/tokens/${secondSession.id}`, { token: admin })).status).toBe(404);
    expect((await server.request('GET', '/api/auth/account', { token: bob.accessToken })).status).toBe(200);
  });

  it('creates API keys with no permission until granted, revocable like any session', async () => {
    const created = await server.request('POST', '/accounts/create-anonymous', { token: admin });
    expect(created.status).toBe(201);
    const { jwt, accountID } = created.body;
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
    expect(claims.exp - claims.iat).toBe(100 * 365 * 86_400);
    const self = await server.request('GET', `/accounts/${accountID}`, { token: jwt });
    expect(self.body).toMatchObject({ type: 'apikey', email: null, permissions: [], roles: [], hasPassword: false });
    expect((await server.request('GET', '/accounts', { token: jwt })).status).toBe(403);
    await server.request('PUT', `/accounts/${accountID}`, { token: admin, json: { permissions: ['accounts:read'] } });
    expect((await server.request('GET', '/accounts', { token: jwt })).status).toBe(200);
    const [session] = (await server.request('GET', `/accounts/${accountID}/tokens`, { token: admin })).body._embedded['ec:account/token'];
    expect(session.method).toBe('apikey');
    await server.request('DELETE', `/accounts/${accountID}/tokens/${session.id}`, { token: admin });
    expect((await server.request('GET', '/accounts', { token: jwt })).headers.get('x-error-code')).toBe('token-revoked');
  });

  it('deletes an account with its sessions; a user may delete itself; the last sysadmin stays', async () => {
    const doomed = await registerAndLogin(server, 'doomed@example.com');
    expect((await server.request('DELETE', `/accounts/${doomed.userId}`, { token: doomed.accessToken })).status).toBe(204);
    expect((await server.request('GET', '/api/auth/account', { token: doomed.accessToken })).status).toBe(401);
    expect((await server.request('GET', `/accounts/${doomed.userId}`, { token: admin })).status).toBe(404);
    expect((await server.request('POST', '/api/auth/login', { json: { email: 'doomed@example.com', password: goodPassword } })).status).toBe(401);
    const adminId = (await server.request('GET', '/api/auth/account', { token: admin })).body.id;
    const last = await server.request('DELETE', `/accounts/${adminId}`, { token: admin });
    expect(last.status).toBe(409);
  });

  it('refuses bad input on the account endpoints with problem+json naming the field, storing nothing', async () => {
    const before = await server.app.services.database.db.selectFrom('accounts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const cases: Array<[string, string, unknown, string]> = [
      ['GET', '/accounts/not-a-uuid', undefined, 'id'],
      ['GET', '/accounts?size=0', undefined, 'size'],
      ['GET', '/accounts?size=101', undefined, 'size'],
      ['GET', '/accounts?page=-1', undefined, 'page'],
      ['GET', '/accounts?type=robot', undefined, 'type'],
      ['GET', '/accounts?sort=name', undefined, 'sort'],
      ['PUT', `/accounts/${bob.userId}`, { permissions: ['a::b'] }, 'permissions.0'],
      ['PUT', `/accounts/${bob.userId}`, { permissions: "' OR 1=1 --" }, 'permissions'],
      ['PUT', `/accounts/${bob.userId}`, { email: 'not-an-email' }, 'email'],
      ['PUT', `/accounts/${bob.userId}`, { confirmed: 'yes' }, 'confirmed'],
      ['PUT', `/accounts/${bob.userId}`, { groups: ['a\u0000b'] }, 'groups.0'],
      ['PUT', `/accounts/${bob.userId}`, { roles: ['admin'] }, 'roles'],
      ['GET', `/accounts/${bob.userId}/tokens/nope`, undefined, 'tokenId'],
    ];
    for (const [method, path, json, field] of cases) {
      const answer = await server.request(method, path, { token: admin, json });
      expect({ path, status: answer.status, code: answer.body.code, type: answer.headers.get('content-type')?.split(';')[0] }).toEqual({ path, status: 400, code: 'invalid-request', type: 'application/problem+json' });
      expect(answer.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const after = await server.app.services.database.db.selectFrom('accounts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    expect((await server.request('GET', `/accounts/${bob.userId}`, { token: admin })).body.permissions).toEqual([]);
  });

  it('walks every account exactly once, in order, by following next links (keyset), accounts of one millisecond included', async () => {
    server.clock.advance(60_000);
    for (let i = 0; i < 7; i++) await server.request('POST', '/api/auth/register', { json: { email: `same-ms${i}@example.com`, password: goodPassword } });
    server.clock.advance(1);
    await server.request('POST', '/api/auth/register', { json: { email: 'next-ms@example.com', password: goodPassword } });
    const expected = await allAccountIds();
    const pages = await followNext('/accounts?size=3');
    expect(pages.flat().map((a) => a.id)).toEqual(expected);
    // Seven accounts of one millisecond in pages of three: some page ends inside that millisecond.
    expect(pages.some((page, n) => n > 0 && page[0]!.createdAt === pages[n - 1]!.at(-1)!.createdAt)).toBe(true);
    // The same pages by number alone (OFFSET).
    const byNumber = await Promise.all(pages.map((_, n) => server.request('GET', `/accounts?size=3&page=${n + 1}`, { token: admin })));
    expect(byNumber.map((answer) => answer.body._embedded['ec:account'].map((a: Listed) => a.id))).toEqual(pages.map((page) => page.map((a) => a.id)));
  });

  it('keeps the filters on keyset pages', async () => {
    const group = (await server.request('POST', '/groups', { token: admin, json: { name: 'pagers', permissions: [] } })).body.id;
    const members = (await allAccountIds()).filter((_, i) => i % 2 === 0);
    for (const id of members) expect((await server.request('PUT', `/groups/${group}/accounts/${id}`, { token: admin })).status).toBe(204);
    const pages = await followNext('/accounts?group=pagers&size=2');
    expect(pages.flat().map((a) => a.id)).toEqual(members);
    const users = await followNext('/accounts?type=user&size=4');
    expect(users.flat().map((a) => a.type)).toEqual(users.flat().map(() => 'user'));
    expect(users.flat().map((a) => a.id)).toEqual(await allAccountIds('user'));
    // The newest account, found by e-mail from a cursor just before it, and not from its own cursor.
    server.clock.advance(1);
    await server.request('POST', '/api/auth/register', { json: { email: 'newest@example.com', password: goodPassword } });
    const everyone = (await followNext('/accounts?size=100')).flat();
    const newest = everyone.at(-1)!;
    const emailed = async (from: Listed) => (await server.request('GET', `/accounts?email=newest@example.com&after=${cursorOf(from)}`, { token: admin })).body;
    expect((await emailed(everyone.at(-2)!))._embedded['ec:account'].map((a: Listed) => a.id)).toEqual([newest.id]);
    expect(await emailed(newest)).toMatchObject({ count: 0, total: 1 });
  });

  it('answers a page by cursor exactly as the same page by number, links included', async () => {
    const second = await server.request('GET', '/accounts?size=4&page=2', { token: admin });
    const after = new URL(second.body._links.next.href).searchParams.get('after')!;
    const [byCursor, byNumber] = await Promise.all([
      server.request('GET', `/accounts?size=4&page=3&after=${after}`, { token: admin }),
      server.request('GET', '/accounts?size=4&page=3', { token: admin }),
    ]);
    expect(byCursor.status).toBe(200);
    const { self, ...links } = byCursor.body._links;
    expect(self.href).toBe(`${server.url}/accounts?page=3&size=4&after=${after}`);
    expect({ ...byCursor.body, _links: links }).toEqual({ ...byNumber.body, _links: { ...byNumber.body._links, self: undefined } });
    expect(links.prev.href).toBe(`${server.url}/accounts?page=2&size=4`);
    expect(links.first.href).toBe(`${server.url}/accounts?page=1&size=4`);
    expect(links.next.href).toBe(`${server.url}/accounts?page=4&size=4&after=${cursorOf(byCursor.body._embedded['ec:account'][3])}`);
  });

  it('refuses a malformed or tampered after cursor with problem+json naming after, storing nothing', async () => {
    const before = await server.app.services.database.db.selectFrom('accounts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const good = new URL((await server.request('GET', '/accounts?size=2', { token: admin })).body._links.next.href).searchParams.get('after')!;
    const id = alice.userId;
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    const bad = [
      '', 'not*base64', `${good}=`, `${good}A`, `A${good.slice(1)}`, good.slice(0, -4), 'x'.repeat(101), `${good}%00`,
      b64(`abc.${id}`), b64(`-1.${id}`), b64(`0012.${id}`), b64(`${Number.MAX_SAFE_INTEGER + 2}.${id}`), b64('1700000000000.not-a-uuid'),
      b64(`1700000000000.${id}.x`), b64(`1700000000000 .${id}`), b64(`1700000000000${id}`),
    ];
    for (const after of bad) {
      const answer = await server.request('GET', `/accounts?size=2&after=${encodeURIComponent(after)}`, { token: admin });
      expect({ after, status: answer.status, code: answer.body?.code, type: answer.headers.get('content-type')?.split(';')[0] }).toEqual({ after, status: 400, code: 'invalid-request', type: 'application/problem+json' });
      expect(new Set(answer.body.errors.map((e: { field: string }) => e.field))).toEqual(new Set(['after']));
    }
    const count = await server.app.services.database.db.selectFrom('accounts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(Number(before.n));
  });

  it('creates API keys from the command line', async () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'apikey', 'create'], {
      env: { PATH: process.env.PATH!, HOME: process.env.HOME!, DATABASE_URL: server.database.url.startsWith('sqlite:') ? server.database.url : server.database.url },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.stderr).toBe('');
    const { jwt, accountID } = JSON.parse(result.stdout);
    const self = await server.request('GET', `/accounts/${accountID}`, { token: jwt });
    expect(self.status).toBe(200);
    expect(self.body.type).toBe('apikey');
  });
});
