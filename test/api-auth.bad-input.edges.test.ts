import { request as httpRequest } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { dialects, goodPassword, type TestServer } from './helpers/server.js';
import { counts, expectProblem } from './helpers/problems.js';
import {
  injections, invalid, otherPassword, snapshot, useApiAuthServer, userEmail, type Ctx, type Who,
} from './helpers/api-auth-bad-input.js';

/*
 * Bad input on /api/auth beyond the table of cases (DESIGN "Tests"): unknown routes, over-limit headers and
 * chunked bodies, injection strings stored as data, and a refused admin update. Each gets a clear problem+json
 * answer with a stable code (CONTRACT §4), and none of them stores anything.
 */

describe.each(dialects)('/api/auth bad input on %s', (dialect) => {
  const started = useApiAuthServer(dialect);
  let server: TestServer, ctx: Ctx, tokens: Record<Who, string>;
  beforeAll(() => {
    ({ server, ctx, tokens } = started);
  });

  it('answers an unknown route with 404 not-found problem+json', async () => {
    for (const [method, path] of [['GET', '/api/auth/nope'], ['POST', '/api/auth/../../etc/passwd'], ['DELETE', '/api/auth/account'], ['GET', '/no/such/route?x=<script>']] as const) {
      const answer = await server.request(method, path);
      expectProblem(answer, 404, 'not-found');
      expect(answer.text).not.toContain('<script>');
    }
  });

  it('refuses account/confirmed for a name with a NUL character as malformed, naming the field', async () => {
    for (const [query, field] of [['username=admin%00', 'username'], [`email=${encodeURIComponent(userEmail)}%00`, 'email']] as const) {
      const answer = await server.request('GET', `/api/auth/account/confirmed?${query}`);
      expectProblem(answer, 400, invalid);
      expect(answer.body.errors[0].field).toBe(field);
    }
  });

  it('answers request headers over Node\u2019s size limit with problem+json too (CONTRACT §4: every error)', async () => {
    const answer = await server.request('GET', '/api/auth/account', { headers: { authorization: `Bearer ${'a'.repeat(20_000)}` } });
    expect(answer.status).toBe(431);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(answer.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status: 431, detail: expect.any(String), code: expect.any(String) });
  });

  it('refuses an over-limit chunked body (no Content-Length) with 413 payload-too-large', async () => {
    const before = await counts(server);
    const answer = await chunkedPost(`${server.url}/api/auth/register`, [`{"email":"big@example.com","password":"`, ...Array.from({ length: 40 }, () => 'A'.repeat(2048)), '"}']);
    expect(answer.status).toBe(413);
    expect(answer.contentType).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(answer.text)).toMatchObject({ status: 413, code: 'payload-too-large' });
    expect(await counts(server)).toEqual(before);
  });

  it('treats injection strings as data: stored verbatim when valid, tables intact, look-ups answer normally', async () => {
    const email = `o'reilly'--=1@example.com`;
    const registered = await server.request('POST', '/api/auth/register', { json: { email, password: goodPassword } });
    expect(registered.status, registered.text).toBe(201);
    expect(registered.body).toMatchObject({ email, username: email });
    const logged = await server.request('POST', '/api/auth/login', { json: { email, password: goodPassword } });
    expect(logged.status).toBe(200);
    for (const value of injections) {
      const query = await server.request('GET', `/api/auth/account/confirmed?username=${encodeURIComponent(value)}`);
      expect(query.status).toBe(200);
      expect(query.body).toEqual({ confirmed: false });
      expect((await server.request('GET', `/api/auth/account/confirmed?email=${encodeURIComponent(value)}`)).body).toEqual({ confirmed: false });
    }
    // The accounts table survived every DROP TABLE attempt, with the admin, the user and this account in it.
    const db = server.app.services.database.db;
    const names = (await db.selectFrom('accounts').select('username').execute()).map((row) => row.username);
    expect(names).toEqual(expect.arrayContaining(['admin', userEmail, email]));
  });

  it('leaves the admin\u2019s own account untouched when the update is refused (password must go through PUT /api/auth/account)', async () => {
    const before = await snapshot(server);
    const answer = await server.request('PUT', '/api/auth/admin/account', {
      token: tokens.admin,
      json: { id: ctx.adminId, email: 'renamed-admin@example.com', confirmed: false, password: otherPassword },
    });
    expectProblem(answer, 400, 'invalid-request', { fields: ['password'] });
    // Every check runs before the first write: the refused request changed nothing.
    expect(await snapshot(server)).toEqual(before);
  });
});

/** POSTs a body in chunks without Content-Length (Transfer-Encoding: chunked), which `fetch` cannot do with a string. */
function chunkedPost(url: string, chunks: string[]): Promise<{ status: number; contentType: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text }));
    });
    // The server may answer and stop reading before the last chunk: that is the point, not a failure.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}
