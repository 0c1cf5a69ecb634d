import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, goodPassword, startServer, type Answer, type TestServer } from './helpers/server.js';
import { counts, expectProblem } from './helpers/problems.js';

/*
 * Bad input, dead credentials and cross-site requests on the cookie / HTTP Basic session endpoints
 * (CONTRACT §3–§5, DESIGN "Tests"): /auth/cookie, /auth/basic, /auth/logout, /auth/user, /auth/tokens and
 * /accounts/{id}. Every error is problem+json with a stable code, and a refused request stores or ends nothing.
 */

const userEmail = 'cookie-user@example.com';
const otherEmail = 'cookie-other@example.com';
const adminPassword = 'bootstrap-pw';
const callbackURL = 'http://127.0.0.1:9/callback';
const unknownId = '00000000-0000-4000-8000-000000000000';
const evil = 'https://evil.example';

const injections = [`' OR 1=1 --`, '<script>alert(1)</script>', `alice"; DROP TABLE sessions; --`];

/** 2049 characters that pass every other rule: the cap alone is violated. */
const tooLongPassword = `Aa1${'a'.repeat(2046)}`;


/** Counts plus what a refused request must not touch: accounts (language), password hashes, session revocations. */
async function snapshot(server: TestServer): Promise<unknown> {
  const db = server.app.services.database.db;
  const accounts = await db.selectFrom('accounts').select(['id', 'username', 'email', 'confirmed', 'language', 'last_login_at']).orderBy('id').execute();
  const credentials = await db.selectFrom('credentials').select(['id', 'account_id', 'secret_hash', 'updated_at']).orderBy('id').execute();
  const sessions = await db.selectFrom('sessions').select(['id', 'revoked_at']).orderBy('id').execute();
  return { counts: await counts(server), accounts, credentials, sessions };
}

/** An `application/x-www-form-urlencoded` body. */
function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}
const formType = { 'content-type': 'application/x-www-form-urlencoded' };

/** The auth cookie a response sets, if any. */
function authSetCookie(answer: Answer): string | undefined {
  return answer.headers.getSetCookie().find((c) => c.startsWith('auth_token='));
}

/** The response removes the auth cookie: empty value and Max-Age=0 or an Expires in the past. */
function expectCleared(answer: Answer): void {
  const set = authSetCookie(answer);
  expect(set, `no auth_token Set-Cookie in ${answer.headers.getSetCookie().join(' | ')}`).toBeDefined();
  expect(set).toMatch(/^auth_token=;/);
  const maxAge = /;\s*Max-Age=(-?\d+)/i.exec(set!)?.[1];
  const expires = /;\s*Expires=([^;]+)/i.exec(set!)?.[1];
  expect(maxAge === '0' || (expires !== undefined && Date.parse(expires) <= Date.now()), set).toBe(true);
}

/** The response neither sets nor clears the auth cookie. */
function expectNoAuthCookie(answer: Answer): void {
  expect(authSetCookie(answer), answer.headers.getSetCookie().join(' | ')).toBeUndefined();
}

interface CookieSession {
  /** `auth_token=<id>.<secret>`, ready for a `cookie` header. */
  cookie: string;
  sessionId: string;
  secret: string;
}

/** Logs in through `POST /auth/cookie` and returns the cookie the browser would send back. */
async function cookieLogin(server: TestServer, login: string, password = goodPassword, extra: Record<string, string> = {}): Promise<CookieSession> {
  const answer = await server.request('POST', '/auth/cookie', { body: form({ auth_username: login, auth_password: password, ...extra }), headers: formType });
  expect(answer.status, answer.text).toBe(200);
  const set = authSetCookie(answer);
  expect(set).toBeDefined();
  const value = /^auth_token=([^;]+)/.exec(set!)![1]!;
  const [sessionId, secret] = decodeURIComponent(value).split('.') as [string, string];
  return { cookie: `auth_token=${value}`, sessionId, secret };
}

/** `GET /auth/user` with these headers. */
function whoAmI(server: TestServer, headers: Record<string, string>, query = ''): Promise<Answer> {
  return server.request('GET', `/auth/user${query}`, { headers });
}

async function isRevoked(server: TestServer, sessionId: string): Promise<boolean> {
  const db = server.app.services.database.db;
  const row = await db.selectFrom('sessions').select('revoked_at').where('id', '=', sessionId).executeTakeFirstOrThrow();
  return row.revoked_at !== null;
}

async function languageOf(server: TestServer, accountId: string): Promise<string | null> {
  const db = server.app.services.database.db;
  return (await db.selectFrom('accounts').select('language').where('id', '=', accountId).executeTakeFirstOrThrow()).language;
}

/** The session id (`sid`) inside an access token. */
function sidOf(accessToken: string): string {
  return JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString('utf8')).sid;
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

async function apiLogin(server: TestServer, login: Record<string, string>): Promise<{ accessToken: string; userId: string }> {
  const answer = await server.request('POST', '/api/auth/login', { json: login });
  expect(answer.status, answer.text).toBe(200);
  return answer.body;
}

async function register(server: TestServer, email: string): Promise<void> {
  const answer = await server.request('POST', '/api/auth/register', { json: { email, password: goodPassword } });
  expect(answer.status, answer.text).toBe(201);
}

const baseConfig = {
  signup: { alwaysConfirm: true },
  // Isolate bad-input answers from throttling: every request here must get its own specific answer.
  rateLimit: { enabled: false },
  lockout: { maxAttempts: -1 },
  clients: [{ clientID: 'webapp', callbackURL }],
};

interface Ctx {
  userId: string;
  otherId: string;
  adminId: string;
  userToken: string;
  adminToken: string;
  /** A cookie session of the other account. */
  otherCookie: CookieSession;
}

interface BadCase {
  name: string;
  method: string;
  path: string | ((ctx: Ctx) => string);
  as?: 'user' | 'admin';
  json?: unknown | ((ctx: Ctx) => unknown);
  body?: string;
  headers?: Record<string, string>;
  status: number;
  code: string;
  fields?: string[];
  rules?: string[];
}

const invalid = 'invalid-request';

/** `POST /auth/cookie` bad input: form and JSON bodies. */
function cookieCases(): BadCase[] {
  const post = (name: string, body: string, status: number, code: string, fields?: string[], headers: Record<string, string> = formType): BadCase =>
    ({ name, method: 'POST', path: '/auth/cookie', body, headers, status, code, fields });
  const json = (name: string, value: unknown, status: number, code: string, fields?: string[]): BadCase =>
    ({ name, method: 'POST', path: '/auth/cookie', json: value, status, code, fields });
  const good = { auth_username: userEmail, auth_password: goodPassword };
  return [
    // Form bodies, as a browser sends them.
    post('form: auth_username missing', form({ auth_password: goodPassword }), 400, invalid, ['auth_username']),
    post('form: auth_password missing', form({ auth_username: userEmail }), 400, invalid, ['auth_password']),
    post('form: empty body', '', 400, invalid, ['auth_username', 'auth_password']),
    post('form: empty values', form({ auth_username: '', auth_password: '' }), 400, invalid, ['auth_username', 'auth_password']),
    post('form: unknown field', form({ ...good, remember_me: 'on' }), 400, invalid, ['remember_me']),
    post('form: auth_username given twice', `${form(good)}&auth_username=admin`, 400, invalid, ['auth_username']),
    post('form: auth_maxage abc', form({ ...good, auth_maxage: 'abc' }), 400, invalid, ['auth_maxage']),
    post('form: auth_maxage 1.5', form({ ...good, auth_maxage: '1.5' }), 400, invalid, ['auth_maxage']),
    post('form: auth_maxage -2', form({ ...good, auth_maxage: '-2' }), 400, invalid, ['auth_maxage']),
    post('form: auth_maxage 99999999999', form({ ...good, auth_maxage: '99999999999' }), 400, invalid, ['auth_maxage']),
    post('form: auth_maxage 31536001 (over a year)', form({ ...good, auth_maxage: '31536001' }), 400, invalid, ['auth_maxage']),
    post('form: auth_maxage empty', form({ ...good, auth_maxage: '' }), 400, invalid, ['auth_maxage']),
    post('form: auth_username with NUL', form({ ...good, auth_username: 'admin\u0000' }), 400, invalid, ['auth_username']),
    post('form: auth_username with a tab', form({ ...good, auth_username: 'ad\tmin' }), 400, invalid, ['auth_username']),
    post('form: auth_username with a newline', form({ ...good, auth_username: 'admin\r\nX-Injected: 1' }), 400, invalid, ['auth_username']),
    post('form: auth_username with DEL', form({ ...good, auth_username: 'admin\u007f' }), 400, invalid, ['auth_username']),
    post('form: auth_username of 255 characters', form({ ...good, auth_username: 'u'.repeat(255) }), 400, invalid, ['auth_username']),
    post('form: body over 16 KiB', form({ ...good, auth_password: 'A'.repeat(17 * 1024) }), 413, 'payload-too-large'),
    post('XML content type', '<auth_username>admin</auth_username>', 415, 'unsupported-media-type', undefined, { 'content-type': 'application/xml' }),
    post('form sent as text/plain', form(good), 400, invalid, ['body'], { 'content-type': 'text/plain' }),
    // JSON bodies: auth_maxage must be an integer (or its text form) within -1 … 31536000.
    json('json: auth_maxage "abc"', { ...good, auth_maxage: 'abc' }, 400, invalid, ['auth_maxage']),
    json('json: auth_maxage 1.5', { ...good, auth_maxage: 1.5 }, 400, invalid, ['auth_maxage']),
    json('json: auth_maxage -2', { ...good, auth_maxage: -2 }, 400, invalid, ['auth_maxage']),
    json('json: auth_maxage 99999999999', { ...good, auth_maxage: 99999999999 }, 400, invalid, ['auth_maxage']),
    json('json: auth_maxage "31536001"', { ...good, auth_maxage: '31536001' }, 400, invalid, ['auth_maxage']),
    json('json: auth_maxage true', { ...good, auth_maxage: true }, 400, invalid, ['auth_maxage']),
    json('json: auth_maxage null', { ...good, auth_maxage: null }, 400, invalid, ['auth_maxage']),
    json('json: auth_username a number', { ...good, auth_username: 123 }, 400, invalid, ['auth_username']),
    json('json: auth_username null', { ...good, auth_username: null }, 400, invalid, ['auth_username']),
    json('json: auth_username an array', { ...good, auth_username: [userEmail] }, 400, invalid, ['auth_username']),
    json('json: auth_password a number', { ...good, auth_password: 12345678 }, 400, invalid, ['auth_password']),
    json('json: auth_password an object', { ...good, auth_password: { $ne: '' } }, 400, invalid, ['auth_password']),
    json('json: auth_username with NUL', { ...good, auth_username: `${userEmail}\u0000` }, 400, invalid, ['auth_username']),
    json('json: unknown field', { ...good, isAdmin: true }, 400, invalid, ['isAdmin']),
    json('json: empty object', {}, 400, invalid, ['auth_username', 'auth_password']),
    json('json: an array body', [good], 400, invalid, ['body']),
    json('json: null body', null, 400, invalid, ['body']),
    post('json: broken JSON', '{"auth_username":', 400, invalid, ['body'], { 'content-type': 'application/json' }),
    post('json: empty body', '', 400, invalid, ['body'], { 'content-type': 'application/json' }),
    post('json: a __proto__ key', `{"__proto__":{"admin":true},"auth_username":"${userEmail}","auth_password":"${goodPassword}"}`, 400, invalid, ['body'], { 'content-type': 'application/json' }),
    post('json: body over 64 KiB', JSON.stringify({ ...good, auth_password: 'A'.repeat(70 * 1024) }), 413, 'payload-too-large', undefined, { 'content-type': 'application/json' }),
    // Wrong credentials and injection strings: an ordinary failed login, nothing more.
    post('form: wrong password', form({ ...good, auth_password: 'Wrong-Pass-99' }), 401, 'invalid-credentials'),
    post('form: unknown user', form({ ...good, auth_username: 'nobody@example.com' }), 401, 'invalid-credentials'),
    ...injections.flatMap((value) => [
      post(`form: auth_username ${value}`, form({ ...good, auth_username: value }), 401, 'invalid-credentials'),
      post(`form: auth_password ${value}`, form({ ...good, auth_password: value }), 401, 'invalid-credentials'),
      post(`form: auth_username ${userEmail}${value}`, form({ ...good, auth_username: `${userEmail}${value}` }), 401, 'invalid-credentials'),
      json(`json: auth_username ${value}`, { ...good, auth_username: value }, 401, 'invalid-credentials'),
    ]),
  ];
}

/** `DELETE /auth/tokens` bad input (as the user, by Bearer so no CSRF check is involved). */
function endSessionCases(): BadCase[] {
  const del = (name: string, json: BadCase['json'], status: number, code: string, fields?: string[]): BadCase =>
    ({ name, method: 'DELETE', path: '/auth/tokens', as: 'user', json, status, code, fields });
  return [
    { name: 'no body at all', method: 'DELETE', path: '/auth/tokens', as: 'user', status: 400, code: invalid, fields: ['body'] },
    { name: 'empty body with content-type json', method: 'DELETE', path: '/auth/tokens', as: 'user', body: '', headers: { 'content-type': 'application/json' }, status: 400, code: invalid, fields: ['body'] },
    { name: 'broken JSON', method: 'DELETE', path: '/auth/tokens', as: 'user', body: '{"token":', headers: { 'content-type': 'application/json' }, status: 400, code: invalid, fields: ['body'] },
    del('empty object', {}, 400, invalid, ['token']),
    del('empty token', { token: '' }, 400, invalid, ['token']),
    del('token is a number', { token: 123 }, 400, invalid, ['token']),
    del('token is null', { token: null }, 400, invalid, ['token']),
    del('token is an array', (c: Ctx) => ({ token: [c.otherCookie.sessionId] }), 400, invalid, ['token']),
    del('token of 65 characters', { token: 't'.repeat(65) }, 400, invalid, ['token']),
    del('token with NUL', { token: `${unknownId}\u0000` }, 400, invalid, ['token']),
    del('unknown field', { token: unknownId, all: true }, 400, invalid, ['all']),
    del('a JSON array body', [unknownId], 400, invalid, ['body']),
    del('a random UUID', { token: unknownId }, 404, 'not-found'),
    del('another account\u2019s session', (c: Ctx) => ({ token: c.otherCookie.sessionId }), 404, 'not-found'),
    del('the other account\u2019s full cookie value', (c: Ctx) => ({ token: `${c.otherCookie.sessionId}.${c.otherCookie.secret}` }), 400, invalid, ['token']),
    ...injections.map((value) => del(`token ${value}`, { token: value }, 404, 'not-found')),
    { name: 'no credential', method: 'DELETE', path: '/auth/tokens', json: { token: unknownId }, status: 401, code: 'unauthorized' },
    { name: 'a malformed Bearer token', method: 'DELETE', path: '/auth/tokens', headers: { authorization: 'Bearer not.a.jwt' }, json: { token: unknownId }, status: 401, code: 'invalid-token' },
  ];
}

/** `GET|PUT /accounts/{id}` bad input (Bearer). */
function accountCases(): BadCase[] {
  const put = (name: string, path: BadCase['path'], json: BadCase['json'], status: number, code: string, more: Partial<BadCase> = {}): BadCase =>
    ({ name, method: 'PUT', path, as: 'user', json, status, code, ...more });
  const own = (c: Ctx) => `/accounts/${c.userId}`;
  const other = (c: Ctx) => `/accounts/${c.otherId}`;
  return [
    put('id is not a UUID', '/accounts/not-a-uuid', { language: 'de' }, 400, invalid, { fields: ['id'] }),
    put('id is an injection string', `/accounts/${encodeURIComponent(`${unknownId}' OR 1=1 --`)}`, { language: 'de' }, 400, invalid, { fields: ['id'] }),
    put('id with a NUL', `/accounts/${unknownId}%00`, { language: 'de' }, 400, invalid, { fields: ['id'] }),
    put('unknown field roles', own, { roles: ['admin'] }, 400, invalid, { fields: ['roles'] }),
    put('unknown field username', own, { username: 'admin' }, 400, invalid, { fields: ['username'] }),
    put('language is a number', own, { language: 5 }, 400, invalid, { fields: ['language'] }),
    put('language is an array', own, { language: ['de'] }, 400, invalid, { fields: ['language'] }),
    put('language is not a tag', own, { language: `de'; DROP TABLE accounts; --` }, 400, invalid, { fields: ['language'] }),
    put('language of 36 characters', own, { language: `de-${'abcdefgh-'.repeat(3)}abcdef` }, 400, invalid, { fields: ['language'] }),
    put('password is a number', own, { password: 12345678, currentPassword: goodPassword }, 400, invalid, { fields: ['password'] }),
    put('currentPassword is a number', own, { password: 'Another-Pass-77', currentPassword: 1 }, 400, invalid, { fields: ['currentPassword'] }),
    put('own password without currentPassword', own, { password: 'Another-Pass-77' }, 400, invalid, { fields: ['currentPassword'] }),
    put('own 2049-character password', own, { password: tooLongPassword, currentPassword: goodPassword }, 400, 'password-policy', { rules: ['maxLength'] }),
    put('another\u2019s 2049-character password as admin', (c) => `/accounts/${c.userId}`, { password: tooLongPassword }, 400, 'password-policy', { as: 'admin', rules: ['maxLength'] }),
    put('another account without permission', other, { language: 'fr' }, 403, 'forbidden'),
    put('another account\u2019s password without permission', other, { password: 'Another-Pass-77' }, 403, 'forbidden'),
    put('an unknown id without permission', `/accounts/${unknownId}`, { language: 'fr' }, 403, 'forbidden'),
    put('an unknown id as admin', `/accounts/${unknownId}`, { language: 'fr' }, 404, 'not-found', { as: 'admin' }),
    put('broken JSON', own, undefined, 400, invalid, { body: '{"language":', headers: { 'content-type': 'application/json' }, fields: ['body'] }),
    put('a JSON array body', own, [{ language: 'de' }], 400, invalid, { fields: ['body'] }),
    put('a JSON null body', own, null, 400, invalid, { fields: ['body'] }),
    put('JSON sent as text/plain', own, undefined, 400, invalid, { body: '{"language":"de"}', headers: { 'content-type': 'text/plain' }, fields: ['body'] }),
    put('body over 64 KiB', own, undefined, 413, 'payload-too-large', { body: JSON.stringify({ password: 'A'.repeat(70 * 1024) }), headers: { 'content-type': 'application/json' } }),
    put('no credential', own, { language: 'de' }, 401, 'unauthorized', { as: undefined }),
    { name: 'GET: id is not a UUID', method: 'GET', path: '/accounts/not-a-uuid', as: 'user', status: 400, code: invalid, fields: ['id'] },
    { name: 'GET: another account without permission', method: 'GET', path: other, as: 'user', status: 403, code: 'forbidden' },
    { name: 'GET: an unknown id as admin', method: 'GET', path: `/accounts/${unknownId}`, as: 'admin', status: 404, code: 'not-found' },
    { name: 'GET: no credential', method: 'GET', path: own, status: 401, code: 'unauthorized' },
  ];
}

const cases: Array<[string, BadCase[]]> = [
  ['POST /auth/cookie', cookieCases()],
  ['DELETE /auth/tokens', endSessionCases()],
  ['/accounts/{id}', accountCases()],
  ['other endpoints', [
    { name: 'GET /auth/tokens without credential', method: 'GET', path: '/auth/tokens', status: 401, code: 'unauthorized' },
    { name: 'GET /auth/tokens with a malformed Bearer token', method: 'GET', path: '/auth/tokens', headers: { authorization: 'Bearer x' }, status: 401, code: 'invalid-token' },
    { name: 'GET /auth/logout?redirect= a foreign site', method: 'GET', path: `/auth/logout?redirect=${encodeURIComponent(evil)}`, as: 'user', status: 400, code: invalid, fields: ['redirect'] },
    // PostgreSQL text cannot hold a NUL: malformed input must be refused by the schema (400), never reach a query.
    { name: 'GET /auth/logout?redirect= a NUL character', method: 'GET', path: '/auth/logout?redirect=%00', as: 'user', status: 400, code: invalid, fields: ['redirect'] },
    { name: 'POST /auth/logout?redirect= with a NUL character', method: 'POST', path: `/auth/logout?redirect=${encodeURIComponent(`${callbackURL}\u0000`)}`, as: 'user', status: 400, code: invalid, fields: ['redirect'] },
    { name: 'GET /auth/logout?redirect= 2049 characters', method: 'GET', path: `/auth/logout?redirect=${'a'.repeat(2049)}`, as: 'user', status: 400, code: invalid, fields: ['redirect'] },
  ]],
];

/** Who sends which credentials in the CSRF matrix. */
interface Credential {
  headers: Record<string, string>;
  /** The session the credential belongs to (after its first use, for Basic). */
  sessionId(): Promise<string>;
}

describe.each(dialects)('sessions bad input on %s', (dialect) => {
  /** httpBasic enabled: most of the suite. */
  let server: TestServer;
  /** httpBasic disabled (the default). */
  let plain: TestServer;
  let ctx: Ctx;
  let languageCounter = 0;

  beforeAll(async () => {
    [server, plain] = await Promise.all([
      startServer(dialect, { config: { ...baseConfig, httpBasic: { enabled: true } }, env: { GATEHOUSE_ADMIN_PASSWORD: adminPassword } }),
      startServer(dialect, { config: baseConfig }),
    ]);
    await register(server, userEmail);
    await register(server, otherEmail);
    await register(plain, userEmail);
    const user = await apiLogin(server, { email: userEmail, password: goodPassword });
    const other = await apiLogin(server, { email: otherEmail, password: goodPassword });
    const admin = await apiLogin(server, { username: 'admin', password: adminPassword });
    ctx = {
      userId: user.userId, otherId: other.userId, adminId: admin.userId,
      userToken: user.accessToken, adminToken: admin.accessToken,
      otherCookie: await cookieLogin(server, otherEmail),
    };
  });
  afterAll(async () => {
    await server?.close();
    await plain?.close();
  });

  describe.each(cases)('%s', (_endpoint, endpointCases) => {
    it.each(endpointCases)('$method $name → $status $code', async (c) => {
      const before = await snapshot(server);
      const path = typeof c.path === 'function' ? c.path(ctx) : c.path;
      const json = typeof c.json === 'function' ? (c.json as (ctx: Ctx) => unknown)(ctx) : c.json;
      const token = c.as === 'user' ? ctx.userToken : c.as === 'admin' ? ctx.adminToken : undefined;
      const answer = await server.request(c.method, path, { json, body: c.body, headers: c.headers, token });
      expectProblem(answer, c.status, c.code, c);
      // No session cookie is handed out, and nothing secret is echoed back.
      expect(authSetCookie(answer) ?? '').not.toMatch(/^auth_token=[^;]/);
      expect(answer.text).not.toContain(goodPassword);
      expect(answer.text).not.toContain('aaaaaaaaaaaaaaaaaaaa');
      expect(answer.text).not.toContain('<script>');
      expect(await snapshot(server)).toEqual(before);
    });
  });

  describe('POST /auth/cookie', () => {
    it('answers GET, PUT, DELETE, PATCH and HEAD with 405 and Allow: POST, never logging in from a URL', async () => {
      const before = await counts(server);
      const query = `?${form({ auth_username: userEmail, auth_password: goodPassword })}`;
      for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
        for (const path of ['/auth/cookie', `/auth/cookie${query}`]) {
          const answer = await server.request(method, path);
          expectProblem(answer, 405, 'method-not-allowed');
          expect(answer.headers.get('allow')).toBe('POST');
          expectNoAuthCookie(answer);
          expect(answer.text).not.toContain(goodPassword);
        }
      }
      const head = await server.request('HEAD', `/auth/cookie${query}`);
      expect(head.status).toBe(405);
      expect(head.headers.get('allow')).toBe('POST');
      expect(await counts(server)).toEqual(before);
    });

    it('accepts the edge values of auth_maxage: -1 (browser-session cookie), 0 … 31536000, as text or number', async () => {
      const browserSession = await server.request('POST', '/auth/cookie', { body: form({ auth_username: userEmail, auth_password: goodPassword, auth_maxage: '-1' }), headers: formType });
      expect(browserSession.status, browserSession.text).toBe(200);
      expect(authSetCookie(browserSession)).not.toMatch(/Max-Age/i);
      const year = await server.request('POST', '/auth/cookie', { json: { auth_username: userEmail, auth_password: goodPassword, auth_maxage: 31_536_000 } });
      expect(year.status, year.text).toBe(200);
      expect(authSetCookie(year)).toMatch(/Max-Age=31536000/);
      const text = await server.request('POST', '/auth/cookie', { json: { auth_username: userEmail, auth_password: goodPassword, auth_maxage: '3600' } });
      expect(text.status, text.text).toBe(200);
      expect(authSetCookie(text)).toMatch(/Max-Age=3600/);
    });
  });

  describe('DELETE /auth/tokens', () => {
    it('leaves the other account\u2019s session working after refusing to end it', async () => {
      const answer = await server.request('DELETE', '/auth/tokens', { token: ctx.userToken, json: { token: ctx.otherCookie.sessionId } });
      expectProblem(answer, 404, 'not-found');
      expect(await isRevoked(server, ctx.otherCookie.sessionId)).toBe(false);
      const who = await whoAmI(server, { cookie: ctx.otherCookie.cookie });
      expect(who.body.id).toBe(ctx.otherId);
      // The listing shows only the caller's own sessions.
      const mine = await server.request('GET', '/auth/tokens', { token: ctx.userToken });
      expect(mine.status).toBe(200);
      expect(Object.keys(mine.body)).not.toContain(ctx.otherCookie.sessionId);
    });

    it('answers an already-ended session of one\u2019s own with 404', async () => {
      const session = await cookieLogin(server, userEmail);
      const first = await server.request('DELETE', '/auth/tokens', { token: ctx.userToken, json: { token: session.sessionId } });
      expect(first.status, first.text).toBe(204);
      const again = await server.request('DELETE', '/auth/tokens', { token: ctx.userToken, json: { token: session.sessionId } });
      expectProblem(again, 404, 'not-found');
    });
  });

  describe('/auth/logout with a redirect that is not a registered callbackURL', () => {
    const redirects = [evil, '//evil.example', 'javascript:alert(1)', `${callbackURL}.evil.example`, `${callbackURL}/../../x`, `${callbackURL}?next=${evil}`, ''];
    it.each(redirects)('GET and POST ?redirect=%s → 400 redirect; the session is not ended and the cookie kept', async (redirect) => {
      const session = await cookieLogin(server, userEmail);
      for (const method of ['GET', 'POST']) {
        const answer = await server.request(method, `/auth/logout?redirect=${encodeURIComponent(redirect)}`, { headers: { cookie: session.cookie, origin: server.url } });
        expectProblem(answer, 400, invalid, { fields: ['redirect'] });
        expectNoAuthCookie(answer);
        expect(answer.headers.get('location')).toBeNull();
        expect(await isRevoked(server, session.sessionId)).toBe(false);
      }
      expect((await whoAmI(server, { cookie: session.cookie })).body.id).toBe(ctx.userId);
    });

    it('redirects to the registered callbackURL (303), ending the session and clearing the cookie', async () => {
      const session = await cookieLogin(server, userEmail);
      const answer = await server.request('GET', `/auth/logout?redirect=${encodeURIComponent(callbackURL)}`, { headers: { cookie: session.cookie } });
      expect(answer.status).toBe(303);
      expect(answer.headers.get('location')).toBe(callbackURL);
      expectCleared(answer);
      expect(await isRevoked(server, session.sessionId)).toBe(true);
    });
  });

  describe('GET /auth/basic and Basic credentials', () => {
    const malformed: Array<[string, string]> = [
      ['not base64', 'Basic !!!not-base64!!!'],
      ['no credentials after the scheme', 'Basic'],
      ['no colon', `Basic ${Buffer.from(userEmail).toString('base64')}`],
      ['an empty user', `Basic ${Buffer.from(`:${goodPassword}`).toString('base64')}`],
      ['an empty string encoded', 'Basic ='],
      ['a NUL in the user', basic(`${userEmail}\u0000`, goodPassword)],
      ['a newline in the user', basic(`${userEmail}\nadmin`, goodPassword)],
      ['the wrong password', basic(userEmail, 'Wrong-Pass-99')],
      ['an unknown user', basic('nobody@example.com', goodPassword)],
      ...injections.map((value): [string, string] => [`user ${value}`, basic(value, goodPassword)]),
    ];

    it.each(malformed)('with httpBasic enabled, %s → 401 invalid-credentials on /auth/basic and /auth/user; nothing stored', async (_name, header) => {
      const before = await snapshot(server);
      for (const path of ['/auth/basic', '/auth/user', '/auth/tokens']) {
        const answer = await server.request('GET', path, { headers: { authorization: header } });
        expectProblem(answer, 401, 'invalid-credentials');
        expect(answer.text).not.toContain(goodPassword);
      }
      // A failed Basic credential is not silently replaced by a cookie the request also carries.
      const withCookie = await server.request('GET', '/auth/user', { headers: { authorization: header, cookie: ctx.otherCookie.cookie } });
      expectProblem(withCookie, 401, 'invalid-credentials');
      expect(await snapshot(server)).toEqual(before);
    });

    it('with httpBasic enabled: no credentials → 401 with the Basic challenge; good ones → 200 with the user', async () => {
      const challenge = await server.request('GET', '/auth/basic');
      expectProblem(challenge, 401, 'unauthorized');
      expect(challenge.headers.get('www-authenticate')).toMatch(/^Basic realm="gatehouse"/);
      const ok = await server.request('GET', '/auth/basic', { headers: { authorization: basic(userEmail, goodPassword) } });
      expect(ok.status, ok.text).toBe(200);
      expect(ok.body).toMatchObject({ id: ctx.userId, user: userEmail });
    });

    it('with httpBasic disabled: GET /auth/basic → 404, with or without credentials', async () => {
      for (const headers of [{}, { authorization: basic(userEmail, goodPassword) }, { authorization: 'Basic !!!' }] as Array<Record<string, string>>) {
        const answer = await plain.request('GET', '/auth/basic', { headers });
        expectProblem(answer, 404, 'not-found');
      }
    });

    it('with httpBasic disabled: Basic headers are ignored — the caller is a guest, or whoever its cookie says', async () => {
      const before = await counts(plain);
      for (const header of [basic(userEmail, goodPassword), 'Basic !!!not-base64!!!', basic(userEmail, 'Wrong-Pass-99')]) {
        const answer = await whoAmI(plain, { authorization: header });
        expect(answer.status, answer.text).toBe(200);
        expect(answer.body).toMatchObject({ id: '_guest', user: '_guest' });
        expectProblem(await plain.request('GET', '/auth/tokens', { headers: { authorization: header } }), 401, 'unauthorized');
      }
      expect(await counts(plain)).toEqual(before);
      const session = await cookieLogin(plain, userEmail);
      const withCookie = await whoAmI(plain, { authorization: 'Basic !!!', cookie: session.cookie });
      expect(withCookie.body.user).toBe(userEmail);
    });
  });

  describe('dead cookies are ignored (guest) and cleared', () => {
    const garbage = (s: CookieSession): Array<[string, string]> => [
      ['a tampered secret', `auth_token=${s.sessionId}.${'A'.repeat(43)}`],
      ['a secret one character short', `auth_token=${s.sessionId}.${s.secret.slice(0, -1)}`],
      ['a secret with one extra character', `auth_token=${s.sessionId}.${s.secret}A`],
      ['the session id alone', `auth_token=${s.sessionId}`],
      ['the secret alone', `auth_token=.${s.secret}`],
      ['the id upper-cased', `auth_token=${s.sessionId.toUpperCase()}.${s.secret}`],
      ['an unknown session id with a well-formed secret', `auth_token=${unknownId}.${s.secret}`],
      ['garbage', 'auth_token=garbage'],
      ['bad percent-encoding', 'auth_token=%zz%'],
      ['an injection string', `auth_token=${encodeURIComponent(`' OR 1=1 --`)}`],
      ['a NUL, percent-encoded', `auth_token=${s.sessionId}.${s.secret}%00`],
      ['4000 characters', `auth_token=${'a'.repeat(4000)}`],
    ];

    it('treats every malformed or tampered cookie as a guest and clears it; the real session is untouched', async () => {
      const session = await cookieLogin(server, userEmail);
      const before = await snapshot(server);
      for (const [name, cookie] of garbage(session)) {
        const answer = await whoAmI(server, { cookie });
        expect(answer.status, `${name}: ${answer.text}`).toBe(200);
        expect(answer.body, name).toMatchObject({ id: '_guest', user: '_guest' });
        expectCleared(answer);
      }
      expect(await snapshot(server)).toEqual(before);
      expect((await whoAmI(server, { cookie: session.cookie })).body.id).toBe(ctx.userId);
    });

    it('treats the secret of another session under this session\u2019s id as a guest', async () => {
      const mine = await cookieLogin(server, userEmail);
      const answer = await whoAmI(server, { cookie: `auth_token=${mine.sessionId}.${ctx.otherCookie.secret}` });
      expect(answer.body.id).toBe('_guest');
      expectCleared(answer);
      const swapped = await whoAmI(server, { cookie: `auth_token=${ctx.otherCookie.sessionId}.${mine.secret}` });
      expect(swapped.body.id).toBe('_guest');
    });

    it('treats the cookie of a logged-out session as a guest, clears it, and answers protected routes 401', async () => {
      const session = await cookieLogin(server, userEmail);
      const logout = await server.request('POST', '/auth/logout', { headers: { cookie: session.cookie, origin: server.url } });
      expect(logout.status, logout.text).toBe(200);
      expect(logout.body).toEqual({ loggedOut: true });
      expectCleared(logout);
      const who = await whoAmI(server, { cookie: session.cookie });
      expect(who.status).toBe(200);
      expect(who.body).toMatchObject({ id: '_guest', user: '_guest' });
      expectCleared(who);
      const tokens = await server.request('GET', '/auth/tokens', { headers: { cookie: session.cookie } });
      expectProblem(tokens, 401, 'unauthorized');
      expectCleared(tokens);
      // An unsafe request with the dead cookie is a guest's: no CSRF refusal, no session to end.
      const again = await server.request('POST', '/auth/logout', { headers: { cookie: session.cookie } });
      expect(again.status, again.text).toBe(200);
      expect(again.body).toEqual({ loggedOut: false });
      expectCleared(again);
    });

    it('treats the cookie of an expired session as a guest and clears it', async () => {
      const session = await cookieLogin(server, userEmail, goodPassword, { auth_maxage: '60' });
      expect((await whoAmI(server, { cookie: session.cookie })).body.id).toBe(ctx.userId);
      server.clock.advance(61_000);
      const answer = await whoAmI(server, { cookie: session.cookie });
      expect(answer.body).toMatchObject({ id: '_guest', user: '_guest' });
      expectCleared(answer);
    });

    it('?ignoreAuth ignores a valid cookie without clearing it or ending its session, but not a Bearer token', async () => {
      const session = await cookieLogin(server, userEmail);
      for (const query of ['?ignoreAuth', '?ignoreAuth=', '?ignoreAuth=true', '?x=1&ignoreAuth']) {
        const answer = await whoAmI(server, { cookie: session.cookie }, query);
        expect(answer.status, answer.text).toBe(200);
        expect(answer.body, query).toMatchObject({ id: '_guest', user: '_guest' });
        expectNoAuthCookie(answer);
      }
      expectProblem(await server.request('GET', '/auth/tokens?ignoreAuth', { headers: { cookie: session.cookie } }), 401, 'unauthorized');
      // Ignored means a guest's request: a cross-site POST /auth/logout?ignoreAuth cannot end the session.
      const logout = await server.request('POST', '/auth/logout?ignoreAuth', { headers: { cookie: session.cookie } });
      expect(logout.status, logout.text).toBe(200);
      expect(logout.body).toEqual({ loggedOut: false });
      expect(await isRevoked(server, session.sessionId)).toBe(false);
      expect((await whoAmI(server, { cookie: session.cookie })).body.id).toBe(ctx.userId);
      const bearer = await whoAmI(server, { authorization: `Bearer ${ctx.userToken}` }, '?ignoreAuth');
      expect(bearer.body.id).toBe(ctx.userId);
    });

    it('answers /auth/user for a guest with garbage Accept-Language without failing', async () => {
      for (const value of [';;;', 'de;q=abc, en;q=2, *;q=-1', `${'x'.repeat(2000)},de`, 'toString, __proto__, en-US;q=0.5']) {
        const answer = await whoAmI(server, { 'accept-language': value });
        expect(answer.status, answer.text).toBe(200);
        expect(answer.body.id).toBe('_guest');
        for (const q of Object.values(answer.body.clientAcceptLanguage)) expect(q).toBeGreaterThanOrEqual(0);
      }
    });
  });

  describe('CSRF: cookie-authenticated unsafe requests need a same-origin Origin or Sec-Fetch-Site', () => {
    /** The three unsafe requests; `changed` tells whether the request had its effect. */
    const unsafe: Array<{ name: string; ok: number; act(cred: Credential, headers: Record<string, string>): Promise<{ answer: Answer; changed(): Promise<boolean> }> }> = [
      {
        name: 'DELETE /auth/tokens',
        ok: 204,
        act: async (cred, headers) => {
          const victim = await cookieLogin(server, userEmail);
          const answer = await server.request('DELETE', '/auth/tokens', { json: { token: victim.sessionId }, headers: { ...cred.headers, ...headers } });
          return { answer, changed: () => isRevoked(server, victim.sessionId) };
        },
      },
      {
        name: 'POST /auth/logout',
        ok: 200,
        act: async (cred, headers) => {
          const answer = await server.request('POST', '/auth/logout', { headers: { ...cred.headers, ...headers } });
          const sessionId = await cred.sessionId();
          return { answer, changed: () => isRevoked(server, sessionId) };
        },
      },
      {
        name: 'PUT /accounts/{id}',
        ok: 200,
        act: async (cred, headers) => {
          const language = `de-c${++languageCounter}`;
          const answer = await server.request('PUT', `/accounts/${ctx.userId}`, { json: { language }, headers: { ...cred.headers, ...headers } });
          return { answer, changed: async () => (await languageOf(server, ctx.userId)) === language };
        },
      },
    ];

    const cookieCredential = async (): Promise<Credential> => {
      const session = await cookieLogin(server, userEmail);
      return { headers: { cookie: session.cookie }, sessionId: async () => session.sessionId };
    };
    const bearerCredential = async (): Promise<Credential> => {
      const { accessToken } = await apiLogin(server, { email: userEmail, password: goodPassword });
      return { headers: { authorization: `Bearer ${accessToken}` }, sessionId: async () => sidOf(accessToken) };
    };
    const basicCredential = async (): Promise<Credential> => {
      const headers = { authorization: basic(userEmail, goodPassword) };
      // The Basic session starts on first use; find it in the store.
      expect((await whoAmI(server, headers)).body.id).toBe(ctx.userId);
      const sessionId = async () => {
        const db = server.app.services.database.db;
        const row = await db.selectFrom('sessions').select('id').where('account_id', '=', ctx.userId).where('method', '=', 'basic')
          .orderBy('login_time', 'desc').orderBy('id').executeTakeFirstOrThrow();
        return row.id;
      };
      await sessionId();
      return { headers, sessionId };
    };

    const refused: Array<[string, () => Record<string, string>]> = [
      ['neither Origin nor Sec-Fetch-Site', () => ({})],
      ['Origin: https://evil.example', () => ({ origin: evil })],
      ['Sec-Fetch-Site: cross-site', () => ({ 'sec-fetch-site': 'cross-site' })],
      ['Sec-Fetch-Site: same-site', () => ({ 'sec-fetch-site': 'same-site' })],
      ['Sec-Fetch-Site: none', () => ({ 'sec-fetch-site': 'none' })],
      ['Origin: null', () => ({ origin: 'null' })],
      ['a foreign Origin with Sec-Fetch-Site: same-origin', () => ({ origin: evil, 'sec-fetch-site': 'same-origin' })],
      ['the same host on another port', () => ({ origin: 'http://127.0.0.1:1' })],
      ['localhost instead of 127.0.0.1', () => ({ origin: server.url.replace('127.0.0.1', 'localhost') })],
      ['https instead of http', () => ({ origin: server.url.replace('http:', 'https:') })],
      ['a look-alike suffix', () => ({ origin: `${server.url}.evil.example` })],
      ['Referer from our origin but no Origin', () => ({ referer: `${server.url}/` })],
    ];
    const allowed: Array<[string, () => Record<string, string>]> = [
      ['Origin: <baseUrl origin>', () => ({ origin: server.url })],
      ['Sec-Fetch-Site: same-origin without Origin', () => ({ 'sec-fetch-site': 'same-origin' })],
      ['Origin: <baseUrl origin> with Sec-Fetch-Site: same-origin', () => ({ origin: server.url, 'sec-fetch-site': 'same-origin' })],
    ];

    describe.each(unsafe)('$name', (request) => {
      it.each(refused)('with a cookie and %s → 403 forbidden, nothing changed', async (_name, headers) => {
        const cred = await cookieCredential();
        const before = await snapshot(server);
        const { answer, changed } = await request.act(cred, headers());
        expectProblem(answer, 403, 'forbidden');
        expectNoAuthCookie(answer);
        expect(await changed()).toBe(false);
        expect(await isRevoked(server, await cred.sessionId())).toBe(false);
        // The victim session the DELETE case created is the only new row; nothing was revoked or changed.
        const after = (await snapshot(server)) as { accounts: unknown; credentials: unknown; sessions: Array<{ revoked_at: unknown }> };
        expect(after.accounts).toEqual((before as typeof after).accounts);
        expect(after.credentials).toEqual((before as typeof after).credentials);
        expect(after.sessions.filter((s) => s.revoked_at !== null).length).toBe((before as typeof after).sessions.filter((s) => s.revoked_at !== null).length);
        // The session still works.
        expect((await whoAmI(server, cred.headers)).body.id).toBe(ctx.userId);
      });

      it.each(allowed)('with a cookie and %s → allowed', async (_name, headers) => {
        const cred = await cookieCredential();
        const { answer, changed } = await request.act(cred, headers());
        expect(answer.status, answer.text).toBe(request.ok);
        expect(await changed()).toBe(true);
      });

      it('with a Bearer token and no Origin → allowed (exempt), even with a cookie and a foreign Origin alongside', async () => {
        const first = await request.act(await bearerCredential(), {});
        expect(first.answer.status, first.answer.text).toBe(request.ok);
        expect(await first.changed()).toBe(true);
        const bearer = await bearerCredential();
        const cookie = await cookieCredential();
        const second = await request.act({ headers: { ...bearer.headers, ...cookie.headers }, sessionId: bearer.sessionId }, { origin: evil, 'sec-fetch-site': 'cross-site' });
        expect(second.answer.status, second.answer.text).toBe(request.ok);
        expect(await second.changed()).toBe(true);
      });

      it('with HTTP Basic and no Origin → allowed (exempt)', async () => {
        const { answer, changed } = await request.act(await basicCredential(), {});
        expect(answer.status, answer.text).toBe(request.ok);
        expect(await changed()).toBe(true);
      });
    });

    it('lets safe methods through with a cookie and a foreign Origin', async () => {
      const session = await cookieLogin(server, userEmail);
      const cross = { cookie: session.cookie, origin: evil, 'sec-fetch-site': 'cross-site' };
      const tokens = await server.request('GET', '/auth/tokens', { headers: cross });
      expect(tokens.status, tokens.text).toBe(200);
      expect(Object.keys(tokens.body)).toContain(session.sessionId);
      expect(tokens.body[session.sessionId]).toMatchObject({ userName: userEmail, loginTime: expect.any(String), lastAccess: expect.any(String) });
      const user = await whoAmI(server, cross);
      expect(user.body.id).toBe(ctx.userId);
      const account = await server.request('GET', `/accounts/${ctx.userId}`, { headers: cross });
      expect(account.status, account.text).toBe(200);
    });
  });
});
