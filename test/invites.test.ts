import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from './helpers/browser.js';
import { dialects, goodPassword, startServer, type Answer, type TestServer } from './helpers/server.js';
import { expectProblem } from './helpers/problems.js';

/*
 * Invites (seed 000 `ec:invites`) and `signup.inviteOnly` on both registration endpoints: codes shown once and
 * stored as SHA-256, each used once (atomically), never burnt by a registration that fails.
 */

const clients = [
  { clientID: 'body-app', callbackURL: 'https://app.example/body', config: { tokenMethod: 'body' } },
  { clientID: 'query-app', callbackURL: 'https://app.example/callback', config: { tokenMethod: 'query' } },
];


const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

describe.each(dialects)('invites and signup.inviteOnly on %s', (dialect) => {
  let server: TestServer;
  let admin: string;

  async function invites(count: number): Promise<string[]> {
    const answer = await server.request('POST', '/invites', { token: admin, json: { count } });
    expect(answer.status, answer.text).toBe(201);
    return answer.body.codes;
  }

  async function inviteRows() {
    return server.app.services.database.db.selectFrom('invites').selectAll().execute();
  }

  async function accountCount(): Promise<number> {
    const db = server.app.services.database.db;
    return Number((await db.selectFrom('accounts').select(db.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  }

  /** Registers with an invite through the API, confirms by the e-mailed link and logs in. */
  async function invitedUser(email: string): Promise<{ userId: string; accessToken: string }> {
    const [code] = await invites(1);
    const registered = await server.request('POST', '/api/auth/register', { json: { email, password: goodPassword, invite: code } });
    expect(registered.status, registered.text).toBe(201);
    const mail = await server.smtp.waitFor((m) => m.to.includes(email) && m.subject.includes('Confirm'));
    expect((await fetch(server.smtp.linkIn(mail, '/auth/confirm/'))).status).toBe(200);
    const login = await server.request('POST', '/api/auth/login', { json: { email, password: goodPassword } });
    expect(login.status, login.text).toBe(200);
    return login.body;
  }

  beforeAll(async () => {
    server = await startServer(dialect, { config: { clients, signup: { inviteOnly: true } }, env: { GATEHOUSE_ADMIN_PASSWORD: 'bootstrap-pw' } });
    const login = await server.request('POST', '/api/auth/login', { json: { username: 'admin', password: 'bootstrap-pw' } });
    expect(login.status, login.text).toBe(200);
    admin = login.body.accessToken;
  });
  afterAll(async () => server?.close());

  it('creates codes shown once, stores only their SHA-256, and lists unused invites without codes', async () => {
    const before = (await inviteRows()).length;
    const created = await server.request('POST', '/invites', { token: admin, json: { count: 3 } });
    expect(created.status, created.text).toBe(201);
    expect(created.headers.get('content-type')).toContain('application/hal+json');
    const codes: string[] = created.body.codes;
    expect(codes).toHaveLength(3);
    expect(new Set(codes).size).toBe(3);
    for (const code of codes) expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits

    const rows = await inviteRows();
    expect(rows).toHaveLength(before + 3);
    const stored = JSON.stringify(rows);
    for (const code of codes) {
      expect(stored).not.toContain(code);
      expect(rows.some((row) => row.code_hash === sha256(code))).toBe(true);
    }

    const list = await server.request('GET', '/invites?size=2', { token: admin });
    expect(list.status, list.text).toBe(200);
    expect(list.headers.get('content-type')).toContain('application/hal+json');
    expect(list.body.total).toBe(before + 3);
    expect(list.body.count).toBe(2);
    expect(list.body._links.next.href).toContain('page=2');
    const item = list.body._embedded['ec:invite'][0];
    expect(Object.keys(item).sort()).toEqual(['_links', 'createdAt', 'createdBy', 'id']);
    expect(item.createdBy).toBe((await server.request('GET', '/api/auth/account', { token: admin })).body.id);
    for (const code of codes) expect(list.text).not.toContain(code);

    const one = await server.request('GET', `/invites/${item.id}`, { token: admin });
    expect(one.status).toBe(200);
    expect(one.body.id).toBe(item.id);
    expect((await server.request('DELETE', `/invites/${item.id}`, { token: admin })).status).toBe(204);
    expectProblem(await server.request('DELETE', `/invites/${item.id}`, { token: admin }), 404, 'not-found');
    expectProblem(await server.request('GET', `/invites/${item.id}`, { token: admin }), 404, 'not-found');
  });

  it('requires an unused invite on /api/auth/register, naming `invite`; each code works once', async () => {
    const email = 'api-invited@example.com';
    expectProblem(await server.request('POST', '/api/auth/register', { json: { email, password: goodPassword } }), 400, 'invalid-request', { fields: ['invite'] });
    expectProblem(await server.request('POST', '/api/auth/register', { json: { email, password: goodPassword, invite: 'A'.repeat(43) } }), 400, 'invalid-request', { fields: ['invite'] });
    const [code] = await invites(1);
    const ok = await server.request('POST', '/api/auth/register', { json: { email, password: goodPassword, invite: code } });
    expect(ok.status, ok.text).toBe(201);
    const row = (await inviteRows()).find((r) => r.code_hash === sha256(code!))!;
    expect(row.used_by).toBe(ok.body.id);
    expect(row.used_at).not.toBeNull();
    expectProblem(await server.request('POST', '/api/auth/register', { json: { email: 'second@example.com', password: goodPassword, invite: code } }), 400, 'invalid-request', { fields: ['invite'] });
    const list = await server.request('GET', '/invites?size=100', { token: admin });
    expect(list.body._embedded['ec:invite'].map((i: { id: string }) => i.id)).not.toContain(row.id);
  });

  it('requires an invite on the hosted /auth/register (JSON and form) and shows the invite field', async () => {
    const page = await server.request('GET', '/auth/register?clientID=query-app');
    expect(page.text).toContain('name="invite"');
    expectProblem(await server.request('POST', '/auth/register?clientID=body-app', { json: { email: 'hosted-inv@example.com', password: goodPassword } }), 400, 'invalid-request', { fields: ['invite'] });
    const browser = new Browser(server);
    // The page sets the gh_form cookie and carries the matching form_token (double-submit CSRF token).
    const form_token = /name="form_token" value="([^"]+)"/.exec((await browser.request('GET', '/auth/register?clientID=query-app')).text)![1]!;
    const empty = await browser.request('POST', '/auth/register?clientID=query-app', { form: { email: 'hosted-inv@example.com', password: goodPassword, invite: '', form_token } });
    expect(empty.status).toBe(400);
    expect(empty.text).toMatch(/name="invite"[^]*class="field-error">The invitation code/);
    const wrong = await browser.request('POST', '/auth/register?clientID=query-app', { form: { email: 'hosted-inv@example.com', password: goodPassword, invite: 'B'.repeat(43), form_token } });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('The invitation code is invalid or already used.');
    expect(wrong.text).toContain(`value="${'B'.repeat(43)}"`);

    const [code] = await invites(1);
    const ok = await browser.request('POST', '/auth/register?clientID=query-app', { form: { email: 'hosted-inv@example.com', password: goodPassword, invite: code!, form_token } });
    expect(ok.status, ok.text).toBe(303);
    expect(new URL(ok.headers.get('location')!).searchParams.get('token')).toBeTruthy();
    const again = await server.request('POST', '/auth/register?clientID=body-app', { json: { email: 'hosted-inv2@example.com', password: goodPassword, invite: code } });
    expectProblem(again, 400, 'invalid-request', { fields: ['invite'] });
  });

  it('does not burn the invite when the registration fails, and reveals no account without one', async () => {
    await invitedUser('existing@example.com');
    // Without an invite even a taken address answers 400 invite, never 409 — nothing tells who is registered.
    expectProblem(await server.request('POST', '/api/auth/register', { json: { email: 'existing@example.com', password: goodPassword } }), 400, 'invalid-request', { fields: ['invite'] });
    const [code] = await invites(1);
    expectProblem(await server.request('POST', '/api/auth/register', { json: { email: 'existing@example.com', password: goodPassword, invite: code } }), 409, 'conflict');
    expectProblem(await server.request('POST', '/api/auth/register', { json: { email: 'fresh@example.com', password: 'weak', invite: code } }), 400, 'password-policy');
    expectProblem(await server.request('POST', '/auth/register?clientID=body-app', { json: { email: 'EXISTING@example.com', password: goodPassword, invite: code } }), 409, 'conflict');
    const row = (await inviteRows()).find((r) => r.code_hash === sha256(code!))!;
    expect(row.used_at).toBeNull();
    const ok = await server.request('POST', '/api/auth/register', { json: { email: 'fresh@example.com', password: goodPassword, invite: code } });
    expect(ok.status, ok.text).toBe(201);
  });

  it('lets exactly one of five simultaneous registrations with the same invite through, across both endpoints', async () => {
    const [code] = await invites(1);
    const before = await accountCount();
    const attempts = await Promise.all([0, 1, 2, 3, 4].map((i) =>
      i % 2 === 0
        ? server.request('POST', '/api/auth/register', { json: { email: `race${i}@example.com`, password: goodPassword, invite: code } })
        : server.request('POST', '/auth/register?clientID=body-app', { json: { email: `race${i}@example.com`, password: goodPassword, invite: code } }),
    ));
    const won = attempts.filter((a) => a.status === 201 || a.status === 200);
    expect(won, attempts.map((a) => `${a.status} ${a.text}`).join('\n')).toHaveLength(1);
    for (const lost of attempts.filter((a) => !won.includes(a))) expectProblem(lost, 400, 'invalid-request', { fields: ['invite'] });
    expect(await accountCount()).toBe(before + 1);
    const row = (await inviteRows()).find((r) => r.code_hash === sha256(code!))!;
    expect(row.used_by).not.toBeNull();
  });

  it('keeps /invites to holders of invites:read / invites:write', async () => {
    const user = await invitedUser('plain@example.com');
    const [someId] = (await inviteRows()).map((r) => r.id);
    expectProblem(await server.request('POST', '/invites', { json: { count: 1 } }), 401, 'unauthorized');
    expectProblem(await server.request('GET', '/invites'), 401, 'unauthorized');
    expectProblem(await server.request('POST', '/invites', { token: 'garbage.token.here', json: { count: 1 } }), 401, 'invalid-token');
    expectProblem(await server.request('POST', '/invites', { token: user.accessToken, json: { count: 1 } }), 403, 'forbidden');
    expectProblem(await server.request('GET', '/invites', { token: user.accessToken }), 403, 'forbidden');
    expectProblem(await server.request('GET', `/invites/${someId}`, { token: user.accessToken }), 403, 'forbidden');
    expectProblem(await server.request('DELETE', `/invites/${someId}`, { token: user.accessToken }), 403, 'forbidden');

    // invites:read alone lists but does not create.
    const db = server.app.services.database.db;
    await db.insertInto('permissions').values({ subject_type: 'account', subject_id: user.userId, permission: 'invites:read' }).execute();
    expect((await server.request('GET', '/invites', { token: user.accessToken })).status).toBe(200);
    expectProblem(await server.request('POST', '/invites', { token: user.accessToken, json: { count: 1 } }), 403, 'forbidden');
    expect((await inviteRows()).length).toBeGreaterThan(0);
  });

  it('refuses bad input on POST /invites and stores nothing', async () => {
    const before = (await inviteRows()).length;
    const cases: { json?: unknown; body?: string; headers?: Record<string, string>; status: number; code: string; fields?: string[] }[] = [
      { json: {}, status: 400, code: 'invalid-request', fields: ['count'] },
      { json: { count: 0 }, status: 400, code: 'invalid-request', fields: ['count'] },
      { json: { count: 101 }, status: 400, code: 'invalid-request', fields: ['count'] },
      { json: { count: -1 }, status: 400, code: 'invalid-request', fields: ['count'] },
      { json: { count: 1.5 }, status: 400, code: 'invalid-request', fields: ['count'] },
      { json: { count: '5' }, status: 400, code: 'invalid-request', fields: ['count'] },
      { json: { count: null }, status: 400, code: 'invalid-request', fields: ['count'] },
      { json: { count: 1e9 }, status: 400, code: 'invalid-request', fields: ['count'] },
      { json: { count: "1; DROP TABLE invites; --" }, status: 400, code: 'invalid-request', fields: ['count'] },
      { json: { count: 1, codes: ['mine'] }, status: 400, code: 'invalid-request', fields: ['codes'] },
      { json: [1], status: 400, code: 'invalid-request' },
      { body: '{"count":', headers: { 'content-type': 'application/json' }, status: 400, code: 'invalid-request', fields: ['body'] },
      { body: 'count=1', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: 'unsupported-media-type' },
    ];
    for (const c of cases) {
      expectProblem(await server.request('POST', '/invites', { token: admin, json: c.json, body: c.body, headers: c.headers }), c.status, c.code, { fields: c.fields });
    }
    for (const query of ['?page=0', '?size=101', '?size=abc', '?page=-1']) {
      expectProblem(await server.request('GET', `/invites${query}`, { token: admin }), 400, 'invalid-request');
    }
    for (const id of ['not-a-uuid', "1' OR '1'='1", '%00']) {
      expectProblem(await server.request('GET', `/invites/${id}`, { token: admin }), 400, 'invalid-request', { fields: ['id'] });
      expectProblem(await server.request('DELETE', `/invites/${id}`, { token: admin }), 400, 'invalid-request', { fields: ['id'] });
    }
    // Invite codes in registration bodies: wrong types and shapes are bad input, never a lookup.
    for (const invite of [42, ['x'], '', 'has space', "' OR 1=1 --", 'nul\u0000', 'x'.repeat(200)]) {
      const answer = await server.request('POST', '/api/auth/register', { json: { email: 'shape@example.com', password: goodPassword, invite } });
      expectProblem(answer, 400, 'invalid-request', { fields: ['invite'] });
    }
    expect((await inviteRows()).length).toBe(before);
    expect((await server.request('GET', '/auth/email-available?email=shape@example.com')).body.available).toBe(true);
  });
});
