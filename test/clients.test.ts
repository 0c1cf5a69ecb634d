import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, goodPassword, registerAndLogin, startServer, type TestServer } from './helpers/server.js';

const ADMIN_PASSWORD = 'bootstrap-pw';
/** Clients the configuration declares; `legacy app` has an id the API would not create, and must still be reachable. */
const seeded = [
  { clientID: 'seeded-app', callbackURL: 'https://seeded.example/cb', config: { tokenMethod: 'cookie', disableStrategies: ['google'] } },
  { clientID: 'legacy app', callbackURL: 'https://legacy.example/cb' },
];
const HAL = 'application/hal+json';
/** The fields an invalid-request names, with list indexes (`config.disableStrategies.0`) cut off. */
const fields = (body: { errors?: Array<{ field: string }> }) => (body.errors ?? []).map((e) => e.field.replace(/\.\d+$/, ''));

describe.each(dialects)('clients API /clients on %s', (dialect) => {
  let server: TestServer;
  let admin: string;
  let user: { userId: string; accessToken: string };
  let reader: { userId: string; accessToken: string };
  let adminRole: { userId: string; accessToken: string };

  const start = (database?: TestServer['database'], smtp?: TestServer['smtp']) =>
    startServer(dialect, { config: { clients: seeded }, env: { GATEHOUSE_ADMIN_PASSWORD: ADMIN_PASSWORD }, database, smtp });
  const loginAdmin = async () => (await server.request('POST', '/api/auth/login', { json: { username: 'admin', password: ADMIN_PASSWORD } })).body.accessToken as string;
  const rows = async () => {
    const result = await server.app.services.database.db.selectFrom('clients').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
    return Number(result.n);
  };
  const stored = (clientID: string) => server.app.services.database.db.selectFrom('clients').selectAll().where('client_id', '=', clientID).executeTakeFirst();
  const create = (json: unknown, token = admin) => server.request('POST', '/clients', { json, token });

  beforeAll(async () => {
    server = await start();
    admin = await loginAdmin();
    user = await registerAndLogin(server, 'plain@example.com');
    reader = await registerAndLogin(server, 'reader@example.com');
    adminRole = await registerAndLogin(server, 'helper@example.com');
    // Groups have their own suite; a directly granted permission is what a group grant amounts to.
    await server.app.services.database.db.insertInto('permissions').values({ subject_type: 'account', subject_id: reader.userId, permission: 'clients:read' }).execute();
    const promoted = await server.request('PUT', '/api/auth/admin/account', { token: admin, json: { id: adminRole.userId, roles: ['admin'] } });
    expect(promoted.status).toBe(200);
  });
  let restarted: TestServer | undefined;
  afterAll(async () => {
    await server?.close();
    // The restarted server shares the first one's database and SMTP capture, which it does not own.
    if (restarted) {
      await restarted.smtp.close();
      await restarted.database.drop();
    }
  });

  it('creates, reads, replaces and deletes a client as HAL', async () => {
    const made = await create({ clientID: 'crud-app', callbackURL: 'https://crud.example/cb?x=1', config: { tokenMethod: 'query' } });
    expect(made.status).toBe(201);
    expect(made.headers.get('content-type')).toContain(HAL);
    expect(made.headers.get('location')).toBe(`${server.url}/clients/crud-app`);
    expect(made.body).toEqual({
      clientID: 'crud-app',
      callbackURL: 'https://crud.example/cb?x=1',
      config: { tokenMethod: ['query'], disableStrategies: [] },
      _links: {
        self: { href: `${server.url}/clients/crud-app` },
        collection: { href: `${server.url}/clients` },
        curies: [{ name: 'ec', href: `${server.url}/docs/rels/{rel}`, templated: true }],
      },
    });

    const read = await server.request('GET', '/clients/crud-app', { token: admin });
    expect(read.status).toBe(200);
    expect(read.headers.get('content-type')).toContain(HAL);
    expect(read.body).toEqual(made.body);

    const replaced = await server.request('PUT', '/clients/crud-app', {
      token: admin,
      json: { clientID: 'crud-app', callbackURL: 'https://crud.example/new', config: { tokenMethod: ['cookie', 'body', 'cookie'], disableStrategies: ['password', 'oidc:corp', 'password'] } },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ clientID: 'crud-app', callbackURL: 'https://crud.example/new', config: { tokenMethod: ['cookie', 'body'], disableStrategies: ['password', 'oidc:corp'] } });
    expect((await server.request('GET', '/clients/crud-app', { token: admin })).body.config.tokenMethod).toEqual(['cookie', 'body']);

    // PUT replaces: an omitted config returns to the defaults; the client cannot be renamed.
    const defaults = await server.request('PUT', '/clients/crud-app', { token: admin, json: { callbackURL: 'https://crud.example/new' } });
    expect(defaults.body.config).toEqual({ tokenMethod: ['query'], disableStrategies: [] });
    const rename = await server.request('PUT', '/clients/crud-app', { token: admin, json: { clientID: 'other', callbackURL: 'https://crud.example/new' } });
    expect(rename.status).toBe(400);
    expect(rename.body.errors[0].field).toBe('clientID');

    const removed = await server.request('DELETE', '/clients/crud-app', { token: admin });
    expect(removed.status).toBe(204);
    expect(removed.text).toBe('');
    for (const [method, json] of [['GET', undefined], ['PUT', { callbackURL: 'https://crud.example/x' }], ['DELETE', undefined]] as const) {
      const gone = await server.request(method, '/clients/crud-app', { token: admin, json });
      expect(gone.status).toBe(404);
      expect(gone.headers.get('content-type')).toContain('application/problem+json');
      expect(gone.body.code).toBe('not-found');
    }
    expect(await stored('crud-app')).toBeUndefined();
  });

  it('refuses a second client of the same clientID with 409 naming it, and stores nothing', async () => {
    expect((await create({ clientID: 'dup-app', callbackURL: 'https://dup.example/cb' })).status).toBe(201);
    const before = await rows();
    const again = await create({ clientID: 'dup-app', callbackURL: 'https://other.example/cb', config: { tokenMethod: 'body' } });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('conflict');
    expect(again.body.detail).toContain('dup-app');
    expect(again.body.errors).toEqual([{ field: 'clientID', message: 'is already registered' }]);
    expect(await rows()).toBe(before);
    expect((await stored('dup-app'))!.callback_url).toBe('https://dup.example/cb');
    // Two racing creates: exactly one wins, the primary key decides.
    const race = await Promise.all([1, 2, 3].map((n) => create({ clientID: 'race-app', callbackURL: `https://race.example/${n}` })));
    expect(race.map((r) => r.status).sort()).toEqual([201, 409, 409]);
  });

  it('pages the list, embedding ec:client items with self links', async () => {
    for (let i = 0; i < 25; i++) expect((await create({ clientID: `page-${String(i).padStart(2, '0')}`, callbackURL: `https://page.example/${i}` })).status).toBe(201);
    const total = await rows();
    const first = await server.request('GET', '/clients?size=10', { token: admin });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toContain(HAL);
    expect(first.body).toMatchObject({ count: 10, total });
    expect(first.body._links.self.href).toBe(`${server.url}/clients?page=1&size=10`);
    expect(first.body._links.first.href).toBe(`${server.url}/clients?page=1&size=10`);
    expect(first.body._links.next.href).toBe(`${server.url}/clients?page=2&size=10`);
    expect(first.body._links.prev).toBeUndefined();
    expect(first.body._links.curies[0].name).toBe('ec');

    const seen: string[] = [];
    let next: string | undefined = '/clients?size=10';
    while (next) {
      const page = await server.request('GET', next, { token: admin });
      expect(page.body.count).toBe(page.body._embedded['ec:client'].length);
      for (const item of page.body._embedded['ec:client']) {
        expect(item._links.self.href).toBe(`${server.url}/clients/${encodeURIComponent(item.clientID)}`);
        seen.push(item.clientID);
      }
      next = page.body._links.next?.href.slice(server.url.length);
    }
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    expect(seen).toEqual(expect.arrayContaining(['seeded-app', 'legacy app', 'page-00', 'page-24']));

    const last = await server.request('GET', `/clients?size=10&page=${Math.ceil(total / 10)}`, { token: admin });
    expect(last.body._links.next).toBeUndefined();
    expect(last.body._links.prev).toBeDefined();
    const beyond = await server.request('GET', '/clients?size=10&page=99', { token: admin });
    expect(beyond.body).toMatchObject({ count: 0, total });
    expect(beyond.body._embedded['ec:client']).toEqual([]);
    // A credential in the query (`?_token=`, CONTRACT §3) authenticates but never ends up in the links.
    const viaQuery = await server.request('GET', `/clients?size=1&_token=${admin}`);
    expect(viaQuery.status).toBe(200);
    expect(JSON.stringify(viaQuery.body._links)).not.toContain(admin);
    expect(viaQuery.body._links.next.href).toBe(`${server.url}/clients?page=2&size=1`);
    for (const query of ['size=0', 'size=101', 'page=0', 'page=abc', 'size=1.5']) {
      const bad = await server.request('GET', `/clients?${query}`, { token: admin });
      expect(bad.status, query).toBe(400);
      expect(bad.body.code).toBe('invalid-request');
    }
  });

  it('needs a credential (401), clients:read to read and clients:write to change (403)', async () => {
    expect((await create({ clientID: 'perm-app', callbackURL: 'https://perm.example/cb' })).status).toBe(201);
    const writes = [
      ['POST', '/clients', { clientID: 'perm-new', callbackURL: 'https://perm.example/new' }],
      ['PUT', '/clients/perm-app', { callbackURL: 'https://evil.example/steal' }],
      ['DELETE', '/clients/perm-app', undefined],
      ['PUT', '/clients/no-such-app', { callbackURL: 'https://evil.example/steal' }],
      ['DELETE', '/clients/no-such-app', undefined],
    ] as const;
    const reads = [['GET', '/clients', undefined], ['GET', '/clients/perm-app', undefined], ['GET', '/clients/no-such-app', undefined]] as const;
    const before = await rows();

    for (const [method, path, json] of [...reads, ...writes]) {
      const anonymous = await server.request(method, path, { json });
      expect(anonymous.status, `${method} ${path}`).toBe(401);
      expect(anonymous.headers.get('x-error-code')).toBe('unauthorized');
      // A plain user has no client permission at all; an unknown client is not revealed either.
      const plain = await server.request(method, path, { json, token: user.accessToken });
      expect(plain.status, `${method} ${path}`).toBe(403);
      expect(plain.body.code).toBe('forbidden');
    }
    for (const [method, path, json] of writes) {
      const readOnly = await server.request(method, path, { json, token: reader.accessToken });
      expect(readOnly.status, `${method} ${path}`).toBe(403);
      expect(readOnly.body.detail).toContain('clients:write');
    }
    expect((await server.request('GET', '/clients', { token: reader.accessToken })).status).toBe(200);
    expect((await server.request('GET', '/clients/perm-app', { token: reader.accessToken })).body.callbackURL).toBe('https://perm.example/cb');
    expect(await rows()).toBe(before);
    expect((await stored('perm-app'))!.callback_url).toBe('https://perm.example/cb');

    // The built-in admin role holds clients:*.
    expect((await server.request('GET', '/clients/perm-app', { token: adminRole.accessToken })).status).toBe(200);
    expect((await server.request('PUT', '/clients/perm-app', { token: adminRole.accessToken, json: { callbackURL: 'https://perm.example/v2' } })).status).toBe(200);
    expect((await server.request('POST', '/clients', { token: adminRole.accessToken, json: { clientID: 'perm-new', callbackURL: 'https://perm.example/new' } })).status).toBe(201);
    expect((await server.request('DELETE', '/clients/perm-new', { token: adminRole.accessToken })).status).toBe(204);
  });

  it('refuses bad input with invalid-request naming the field, and stores nothing', async () => {
    const url = 'https://ok.example/cb';
    const cases: Array<[string, unknown, string]> = [
      // wrong types, missing and unknown fields
      ['clientID number', { clientID: 42, callbackURL: url }, 'clientID'],
      ['callbackURL number', { clientID: 'bad-1', callbackURL: 42 }, 'callbackURL'],
      ['callbackURL null', { clientID: 'bad-1', callbackURL: null }, 'callbackURL'],
      ['config string', { clientID: 'bad-1', callbackURL: url, config: 'query' }, 'config'],
      ['missing callbackURL', { clientID: 'bad-1' }, 'callbackURL'],
      ['missing clientID', { callbackURL: url }, 'clientID'],
      ['unknown field', { clientID: 'bad-1', callbackURL: url, secret: 'x' }, 'secret'],
      ['unknown config field', { clientID: 'bad-1', callbackURL: url, config: { scopes: ['a'] } }, 'config.scopes'],
      // tokenMethod and strategies
      ['tokenMethod unknown', { clientID: 'bad-1', callbackURL: url, config: { tokenMethod: 'sms' } }, 'config.tokenMethod'],
      ['tokenMethod empty list', { clientID: 'bad-1', callbackURL: url, config: { tokenMethod: [] } }, 'config.tokenMethod'],
      ['tokenMethod number', { clientID: 'bad-1', callbackURL: url, config: { tokenMethod: [1] } }, 'config.tokenMethod'],
      ['tokenMethod case', { clientID: 'bad-1', callbackURL: url, config: { tokenMethod: 'Query' } }, 'config.tokenMethod'],
      ['disableStrategies string', { clientID: 'bad-1', callbackURL: url, config: { disableStrategies: 'password' } }, 'config.disableStrategies'],
      ['disableStrategies unknown', { clientID: 'bad-1', callbackURL: url, config: { disableStrategies: ['ldap'] } }, 'config.disableStrategies'],
      ['disableStrategies bad oidc id', { clientID: 'bad-1', callbackURL: url, config: { disableStrategies: ['oidc:Corp Net'] } }, 'config.disableStrategies'],
      // clientID rule, NUL and injection strings
      ['clientID empty', { clientID: '', callbackURL: url }, 'clientID'],
      ['clientID dot-dot', { clientID: '..', callbackURL: url }, 'clientID'],
      ['clientID 129 chars', { clientID: 'a'.repeat(129), callbackURL: url }, 'clientID'],
      ['clientID space', { clientID: 'my app', callbackURL: url }, 'clientID'],
      ['clientID NUL', { clientID: 'app\u0000x', callbackURL: url }, 'clientID'],
      ['clientID SQL', { clientID: "x'; DROP TABLE clients; --", callbackURL: url }, 'clientID'],
      ['clientID HTML', { clientID: '<script>alert(1)</script>', callbackURL: url }, 'clientID'],
      // callbackURL rules
      ['relative', { clientID: 'bad-1', callbackURL: '/callback' }, 'callbackURL'],
      ['no scheme', { clientID: 'bad-1', callbackURL: 'ok.example/cb' }, 'callbackURL'],
      ['protocol-relative', { clientID: 'bad-1', callbackURL: '//ok.example/cb' }, 'callbackURL'],
      ['javascript:', { clientID: 'bad-1', callbackURL: 'javascript:alert(document.cookie)' }, 'callbackURL'],
      ['data:', { clientID: 'bad-1', callbackURL: 'data:text/html,<script>alert(1)</script>' }, 'callbackURL'],
      ['ftp:', { clientID: 'bad-1', callbackURL: 'ftp://ok.example/cb' }, 'callbackURL'],
      ['http:host', { clientID: 'bad-1', callbackURL: 'http:ok.example/cb' }, 'callbackURL'],
      ['https:/host', { clientID: 'bad-1', callbackURL: 'https:/ok.example/cb' }, 'callbackURL'],
      ['backslashes', { clientID: 'bad-1', callbackURL: 'https:\\\\ok.example\\cb' }, 'callbackURL'],
      ['fragment', { clientID: 'bad-1', callbackURL: 'https://ok.example/cb#top' }, 'callbackURL'],
      ['empty fragment', { clientID: 'bad-1', callbackURL: 'https://ok.example/cb#' }, 'callbackURL'],
      ['userinfo', { clientID: 'bad-1', callbackURL: 'https://user:pw@ok.example/cb' }, 'callbackURL'],
      ['look-alike userinfo', { clientID: 'bad-1', callbackURL: 'https://ok.example@evil.example/cb' }, 'callbackURL'],
      ['empty userinfo', { clientID: 'bad-1', callbackURL: 'https://@ok.example/cb' }, 'callbackURL'],
      ['over 2048 chars', { clientID: 'bad-1', callbackURL: `https://ok.example/${'a'.repeat(2048)}` }, 'callbackURL'],
      ['empty', { clientID: 'bad-1', callbackURL: '' }, 'callbackURL'],
      ['NUL', { clientID: 'bad-1', callbackURL: 'https://ok.example/\u0000cb' }, 'callbackURL'],
      ['CRLF', { clientID: 'bad-1', callbackURL: 'https://ok.example/cb\r\nSet-Cookie: a=b' }, 'callbackURL'],
      ['space', { clientID: 'bad-1', callbackURL: ' https://ok.example/cb' }, 'callbackURL'],
      ['HTML', { clientID: 'bad-1', callbackURL: 'https://ok.example/"><script>alert(1)</script>' }, 'callbackURL'],
      ['bad port', { clientID: 'bad-1', callbackURL: 'https://ok.example:99999/cb' }, 'callbackURL'],
      ['bad escape', { clientID: 'bad-1', callbackURL: 'https://ok.example/%zz' }, 'callbackURL'],
      ['non-ASCII host', { clientID: 'bad-1', callbackURL: 'https://bücher.example/cb' }, 'callbackURL'],
    ];
    const before = await rows();
    for (const [name, json, field] of cases) {
      const answer = await create(json);
      expect(answer.status, name).toBe(400);
      expect(answer.headers.get('content-type'), name).toContain('application/problem+json');
      expect(answer.body.code, name).toBe('invalid-request');
      expect(fields(answer.body), name).toContain(field);
    }
    for (const body of ['not json', '{"clientID": "bad-1",', '', '[]', 'null', '"x"']) {
      const answer = await server.request('POST', '/clients', { token: admin, body, headers: { 'content-type': 'application/json' } });
      expect(answer.status, body).toBe(400);
      expect(answer.body.code).toBe('invalid-request');
    }
    expect(await rows()).toBe(before);
    expect(await stored('bad-1')).toBeUndefined();

    // The same rules on PUT; the stored client stays as it was.
    expect((await create({ clientID: 'put-target', callbackURL: url })).status).toBe(201);
    for (const [name, json, field] of cases.filter(([, , f]) => f !== 'clientID')) {
      const { clientID: _ignored, ...body } = json as Record<string, unknown>;
      if (!('callbackURL' in body)) continue;
      const answer = await server.request('PUT', '/clients/put-target', { token: admin, json: body });
      expect(answer.status, name).toBe(400);
      expect(fields(answer.body), name).toContain(field);
    }
    expect((await stored('put-target'))!.callback_url).toBe(url);
    expect((await server.request('GET', '/clients/app%00x', { token: admin })).status).toBe(400);
    expect((await server.request('GET', `/clients/${encodeURIComponent("x' OR '1'='1")}`, { token: admin })).status).toBe(404);
  });

  it('stores URLs with query strings and quote characters exactly as written', async () => {
    const callbackURL = "https://ok.example/cb?next=%2Fhome&q='1'--;(x)";
    const made = await create({ clientID: 'quoted', callbackURL });
    expect(made.status).toBe(201);
    expect((await stored('quoted'))!.callback_url).toBe(callbackURL);
    expect((await server.request('GET', '/clients/quoted', { token: admin })).body.callbackURL).toBe(callbackURL);
    expect((await create({ clientID: 'ipv6', callbackURL: 'http://[::1]:8443/cb' })).status).toBe(201);
    expect((await create({ clientID: 'Upper.Case_id-1', callbackURL: 'HTTPS://OK.example/CB' })).status).toBe(201);
  });

  it('documents itself in /openapi.json', async () => {
    const spec = (await server.request('GET', '/openapi.json')).body;
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/clients', '/clients/{clientID}']));
    expect(Object.keys(spec.paths['/clients/{clientID}'])).toEqual(expect.arrayContaining(['get', 'put', 'delete']));
  });

  describe('the callback URL matched exactly, and a token never sent anywhere else', () => {
    const login = (clientID: string) =>
      server.request('POST', `/auth/login?clientID=${encodeURIComponent(clientID)}`, { json: { email: 'plain@example.com', password: goodPassword } });

    it('redirects the login only to the registered callbackURL, and after PUT only to the new one', async () => {
      expect((await create({ clientID: 'exact', callbackURL: 'https://app.example/cb?from=gatehouse' })).status).toBe(201);
      const first = await login('exact');
      expect(first.status).toBe(303);
      const location = first.headers.get('location')!;
      expect(location.startsWith('https://app.example/cb?from=gatehouse&token=')).toBe(true);
      const target = new URL(location);
      target.searchParams.delete('token');
      expect(target.href).toBe('https://app.example/cb?from=gatehouse');

      const moved = await server.request('PUT', '/clients/exact', { token: admin, json: { callbackURL: 'https://new.example/landing' } });
      expect(moved.status).toBe(200);
      const second = await login('exact');
      expect(second.status).toBe(303);
      const next = new URL(second.headers.get('location')!);
      expect(`${next.origin}${next.pathname}`).toBe('https://new.example/landing');
      expect([...next.searchParams.keys()]).toEqual(['token']);
      expect((await server.request('GET', '/auth/user', { token: next.searchParams.get('token')! })).body.user).toBe('plain@example.com');
    });

    it('lets /auth/logout redirect only to an exact registered callbackURL', async () => {
      expect((await create({ clientID: 'logout-app', callbackURL: 'https://logout.example/bye' })).status).toBe(201);
      const exact = await server.request('GET', `/auth/logout?redirect=${encodeURIComponent('https://logout.example/bye')}`);
      expect(exact.status).toBe(303);
      expect(exact.headers.get('location')).toBe('https://logout.example/bye');
      const lookAlikes = [
        'https://logout.example/bye/',
        'https://logout.example/bye?x=1',
        'https://logout.example/bye#x',
        'https://LOGOUT.example/bye',
        'http://logout.example/bye',
        'https://logout.example:443/bye',
        'https://logout.example/bye/../bye',
        'https://logout.example/Bye',
        'https://logout.example.evil.example/bye',
        'https://logout.example@evil.example/bye',
        'https://evil.example/https://logout.example/bye',
        '//logout.example/bye',
        'https://logout.example/bye%00',
        ' https://logout.example/bye',
        'https://new.example/landing/',
      ];
      for (const redirect of lookAlikes) {
        const answer = await server.request('GET', `/auth/logout?redirect=${encodeURIComponent(redirect)}`);
        expect(answer.status, redirect).toBe(400);
        expect(answer.headers.get('location'), redirect).toBeNull();
      }
      // After a PUT the old URL is refused and the new one accepted.
      await server.request('PUT', '/clients/logout-app', { token: admin, json: { callbackURL: 'https://logout.example/v2' } });
      expect((await server.request('GET', `/auth/logout?redirect=${encodeURIComponent('https://logout.example/bye')}`)).status).toBe(400);
      expect((await server.request('GET', `/auth/logout?redirect=${encodeURIComponent('https://logout.example/v2')}`)).status).toBe(303);
    });

    it('forgets a deleted client at once: login 400, logout redirect refused', async () => {
      expect((await create({ clientID: 'doomed', callbackURL: 'https://doomed.example/cb' })).status).toBe(201);
      expect((await server.request('GET', '/auth/login?clientID=doomed')).status).toBe(200);
      expect((await server.request('DELETE', '/clients/doomed', { token: admin })).status).toBe(204);
      const page = await server.request('GET', '/auth/login?clientID=doomed');
      expect(page.status).toBe(400);
      expect(page.body.errors[0].field).toBe('clientID');
      const post = await login('doomed');
      expect(post.status).toBe(400);
      expect(post.headers.get('location')).toBeNull();
      expect((await server.request('GET', `/auth/logout?redirect=${encodeURIComponent('https://doomed.example/cb')}`)).status).toBe(400);
    });
  });

  it('serves configured clients (any id), lets the API change them, and the next start writes the configured version back', async () => {
    const legacy = await server.request('GET', '/clients/legacy%20app', { token: admin });
    expect(legacy.status).toBe(200);
    expect(legacy.body).toMatchObject({ clientID: 'legacy app', config: { tokenMethod: ['query'], disableStrategies: [] } });
    expect(legacy.body._links.self.href).toBe(`${server.url}/clients/legacy%20app`);
    const seededApp = await server.request('GET', '/clients/seeded-app', { token: admin });
    expect(seededApp.body.config).toEqual({ tokenMethod: ['cookie'], disableStrategies: ['google'] });

    const changed = await server.request('PUT', '/clients/seeded-app', { token: admin, json: { callbackURL: 'https://changed.example/cb' } });
    expect(changed.status).toBe(200);
    expect((await server.request('DELETE', '/clients/legacy%20app', { token: admin })).status).toBe(204);
    expect((await create({ clientID: 'api-made', callbackURL: 'https://api.example/cb' })).status).toBe(201);
    expect((await server.request('GET', '/auth/logout?redirect=https%3A%2F%2Fchanged.example%2Fcb')).status).toBe(303);

    // Restart on the same database: the configuration wins for what it declares; API-made clients stay.
    await server.stop();
    restarted = server;
    server = await start(server.database, server.smtp);
    admin = await loginAdmin();
    expect((await server.request('GET', '/clients/seeded-app', { token: admin })).body).toMatchObject({
      callbackURL: 'https://seeded.example/cb', config: { tokenMethod: ['cookie'], disableStrategies: ['google'] },
    });
    expect((await server.request('GET', '/clients/legacy%20app', { token: admin })).status).toBe(200);
    expect((await server.request('GET', '/clients/api-made', { token: admin })).body.callbackURL).toBe('https://api.example/cb');
    expect((await server.request('GET', '/auth/logout?redirect=https%3A%2F%2Fchanged.example%2Fcb')).status).toBe(400);
  });
});
