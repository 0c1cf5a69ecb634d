import { beforeAll, describe, expect, it } from 'vitest';
import { dialects, goodPassword, type TestServer } from './helpers/server.js';
import { expectProblem } from './helpers/problems.js';
import type { BadRequest } from './helpers/bad-request.js';
import {
  injections, invalid, otherPassword, snapshot, useApiAuthServer, userEmail, type Ctx, type Who,
} from './helpers/api-auth-bad-input.js';

/*
 * Bad input on every /api/auth endpoint (DESIGN "Tests"), one table of cases: each gets a clear problem+json answer
 * with a stable code (CONTRACT §4), and none of them stores anything.
 */

const unknownId = '00000000-0000-4000-8000-000000000000';

/** 2049 characters that pass every other rule: the cap alone is violated. */
const tooLongPassword = `Aa1${'a'.repeat(2046)}`;
/** Violates minLength, lowercase, uppercase and number at once. */
const weakPassword = '!!!';
const weakRules = ['minLength', 'lowercase', 'uppercase', 'number'];

/** More than the 64 KiB body limit. */
const oversized = JSON.stringify({ email: userEmail, password: 'A'.repeat(70 * 1024) });

interface BadCase extends BadRequest<Ctx> {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  as?: Who;
}

/** The same bad input for every endpoint that takes a JSON body. */
function bodyCases(method: 'POST' | 'PUT', path: string, as: Who | undefined, options: { objectRequired: boolean; schema: boolean }): BadCase[] {
  const base = { method, path, as };
  const cases: BadCase[] = [
    { ...base, name: 'broken JSON', body: '{"email":', headers: { 'content-type': 'application/json' }, status: 400, code: 'invalid-request', fields: ['body'] },
    { ...base, name: 'empty body with content-type json', body: '', headers: { 'content-type': 'application/json' }, status: 400, code: 'invalid-request', fields: ['body'] },
    { ...base, name: 'XML content type', body: '<email>a@example.com</email>', headers: { 'content-type': 'application/xml' }, status: 415, code: 'unsupported-media-type' },
    { ...base, name: 'body over 64 KiB', body: oversized, headers: { 'content-type': 'application/json' }, status: 413, code: 'payload-too-large' },
    // Prototype pollution attempts are refused by the JSON parser itself.
    { ...base, name: 'a __proto__ key', body: `{"__proto__":{"admin":true},"email":"${userEmail}"}`, headers: { 'content-type': 'application/json' }, status: 400, code: 'invalid-request', fields: ['body'] },
    { ...base, name: 'a constructor.prototype key', body: '{"constructor":{"prototype":{"admin":true}}}', headers: { 'content-type': 'application/json' }, status: 400, code: 'invalid-request', fields: ['body'] },
  ];
  if (options.schema) {
    // A text/plain body is a string, never an object — also what a cross-site <form enctype="text/plain"> sends.
    cases.push({ ...base, name: 'JSON sent as text/plain', body: JSON.stringify({ email: userEmail, password: goodPassword }), headers: { 'content-type': 'text/plain' }, status: 400, code: 'invalid-request', fields: ['body'] });
    cases.push({ ...base, name: 'a JSON array body', json: [], status: 400, code: 'invalid-request', fields: ['body'] });
    cases.push({ ...base, name: 'a JSON string body', json: 'hello', status: 400, code: 'invalid-request', fields: ['body'] });
  }
  if (options.objectRequired) cases.push({ ...base, name: 'a JSON null body', json: null, status: 400, code: 'invalid-request', fields: ['body'] });
  return cases;
}

function injectionCases(): BadCase[] {
  return injections.flatMap((value): BadCase[] => [
    { name: `username ${value}`, method: 'POST', path: '/api/auth/register', json: { username: value, email: 'inj@example.com', password: goodPassword }, status: 400, code: 'invalid-request', fields: ['username'] },
    { name: `email ${value}`, method: 'POST', path: '/api/auth/register', json: { email: value, password: goodPassword }, status: 400, code: 'invalid-request', fields: ['email'] },
    { name: `login username ${value}`, method: 'POST', path: '/api/auth/login', json: { username: value, password: goodPassword }, status: 401, code: 'invalid-credentials' },
    { name: `login email ${value}`, method: 'POST', path: '/api/auth/login', json: { email: value, password: goodPassword }, status: 401, code: 'invalid-credentials' },
    { name: `login password ${value}`, method: 'POST', path: '/api/auth/login', json: { email: userEmail, password: value }, status: 401, code: 'invalid-credentials' },
    { name: `forgot-password email ${value}`, method: 'POST', path: '/api/auth/forgot-password', json: { email: value }, status: 400, code: 'invalid-request', fields: ['email'] },
    { name: `admin email ${value}`, method: 'PUT', path: '/api/auth/admin/account', as: 'admin', json: (c: Ctx) => ({ id: c.userId, email: value }), status: 400, code: 'invalid-request', fields: ['email'] },
    { name: `admin username ${value}`, method: 'PUT', path: '/api/auth/admin/account', as: 'admin', json: { username: value, confirmed: false }, status: 404, code: 'not-found' },
    { name: `refresh token ${value}`, method: 'POST', path: '/api/auth/refresh', json: { refreshToken: value }, status: 401, code: 'invalid-token' },
    { name: `logout refresh token ${value}`, method: 'POST', path: '/api/auth/logout', json: { refreshToken: value }, status: 401, code: 'invalid-token' },
    { name: `confirm token ${value}`, method: 'POST', path: '/api/auth/account/confirm', json: { token: value }, status: 400, code: 'invalid-request', fields: ['token'] },
    { name: `reset token ${value}`, method: 'POST', path: '/api/auth/reset-password', json: { token: value, password: goodPassword }, status: 400, code: 'invalid-request', fields: ['token'] },
    { name: `?_token= ${value}`, method: 'GET', path: `/api/auth/account?_token=${encodeURIComponent(value)}`, status: 401, code: 'invalid-token' },
  ]);
}

const register = (name: string, json: unknown, status: number, code: string, more: Partial<BadCase> = {}): BadCase => ({ name, method: 'POST', path: '/api/auth/register', json, status, code, ...more });
const login = (name: string, json: unknown, status: number, code: string, more: Partial<BadCase> = {}): BadCase => ({ name, method: 'POST', path: '/api/auth/login', json, status, code, ...more });
const post = (path: string) => (name: string, json: unknown, status: number, code: string, more: Partial<BadCase> = {}): BadCase => ({ name, method: 'POST', path, json, status, code, ...more });
const refresh = post('/api/auth/refresh');
const logout = post('/api/auth/logout');
const confirm = post('/api/auth/account/confirm');
const forgot = post('/api/auth/forgot-password');
const reset = post('/api/auth/reset-password');
const changePassword = (name: string, json: unknown, status: number, code: string, more: Partial<BadCase> = {}): BadCase => ({ name, method: 'PUT', path: '/api/auth/account', as: 'user', json, status, code, ...more });
const admin = (name: string, json: unknown, status: number, code: string, more: Partial<BadCase> = {}): BadCase => ({ name, method: 'PUT', path: '/api/auth/admin/account', as: 'admin', json, status, code, ...more });
const confirmed = (name: string, query: string, status: number, code: string, more: Partial<BadCase> = {}): BadCase => ({ name, method: 'GET', path: `/api/auth/account/confirmed${query}`, status, code, ...more });
const account = (name: string, headers: Record<string, string>, status: number, code: string, query = ''): BadCase => ({ name, method: 'GET', path: `/api/auth/account${query}`, headers, status, code });

const fields = (...names: string[]) => ({ fields: names });
const newUser = { username: 'newbie', email: 'newbie@example.com', password: goodPassword };

const cases: Array<[string, BadCase[]]> = [
  ['register', [
    ...bodyCases('POST', '/api/auth/register', undefined, { objectRequired: true, schema: true }),
    register('password is a number', { ...newUser, password: 123 }, 400, invalid, fields('password')),
    register('password is true', { ...newUser, password: true }, 400, invalid, fields('password')),
    register('email is an array', { ...newUser, email: [newUser.email] }, 400, invalid, fields('email')),
    register('email is null', { ...newUser, email: null }, 400, invalid, fields('email')),
    register('username is null', { ...newUser, username: null }, 400, invalid, fields('username')),
    register('username is an object', { ...newUser, username: { $ne: null } }, 400, invalid, fields('username')),
    register('confirmationKey is a number', { ...newUser, confirmationKey: 5 }, 400, invalid, fields('confirmationKey')),
    register('password missing', { email: newUser.email }, 400, invalid, fields('password')),
    register('email missing', { password: goodPassword }, 400, invalid, fields('email')),
    register('empty object', {}, 400, invalid, fields('email', 'password')),
    register('unknown field roles (mass assignment)', { ...newUser, roles: ['admin'] }, 400, invalid, fields('roles')),
    register('unknown field confirmed', { ...newUser, confirmed: true }, 400, invalid, fields('confirmed')),
    register('e-mail without @', { ...newUser, email: 'not-an-email' }, 400, invalid, fields('email')),
    register('e-mail without domain', { ...newUser, email: 'newbie@' }, 400, invalid, fields('email')),
    register('e-mail without local part', { ...newUser, email: '@example.com' }, 400, invalid, fields('email')),
    register('e-mail with a space', { ...newUser, email: 'new bie@example.com' }, 400, invalid, fields('email')),
    register('e-mail of 255 characters', { ...newUser, email: `${'a'.repeat(243)}@example.com` }, 400, invalid, fields('email')),
    register('empty username', { ...newUser, username: '' }, 400, invalid, fields('username')),
    register('username of 129 characters', { ...newUser, username: 'u'.repeat(129) }, 400, invalid, fields('username')),
    register('username with a space', { ...newUser, username: 'new bie' }, 400, invalid, fields('username')),
    register('confirmationKey of 513 characters', { ...newUser, confirmationKey: 'k'.repeat(513) }, 400, invalid, fields('confirmationKey')),
    register('2049-character password', { ...newUser, password: tooLongPassword }, 400, 'password-policy', { rules: ['maxLength'] }),
    register('2049 lowercase letters', { ...newUser, password: 'a'.repeat(2049) }, 400, 'password-policy', { rules: ['maxLength', 'uppercase', 'number'] }),
    register('a password failing four rules', { ...newUser, password: weakPassword }, 400, 'password-policy', { rules: weakRules }),
    register('an empty password', { ...newUser, password: '' }, 400, 'password-policy', { rules: weakRules }),
  ]],
  ['login', [
    ...bodyCases('POST', '/api/auth/login', undefined, { objectRequired: true, schema: true }),
    login('password is a number', { email: userEmail, password: 123 }, 400, invalid, fields('password')),
    login('username is an array', { username: ['a'], password: goodPassword }, 400, invalid, fields('username')),
    login('email is null', { email: null, password: goodPassword }, 400, invalid, fields('email')),
    login('email is an object', { email: { $gt: '' }, password: goodPassword }, 400, invalid, fields('email')),
    login('clientId is a number', { email: userEmail, password: goodPassword, clientId: 42 }, 400, invalid, fields('clientId')),
    login('scope is an object', { email: userEmail, password: goodPassword, scope: {} }, 400, invalid, fields('scope')),
    login('password missing', { email: userEmail }, 400, invalid, fields('password')),
    login('neither username nor email', { password: goodPassword }, 400, invalid, fields('username')),
    login('empty object', {}, 400, invalid, fields('password')),
    login('empty password', { email: userEmail, password: '' }, 400, invalid, fields('password')),
    login('empty username', { username: '', password: goodPassword }, 400, invalid, fields('username')),
    login('unknown field grant_type', { email: userEmail, password: goodPassword, grant_type: 'password' }, 400, invalid, fields('grant_type')),
    login('username of 255 characters', { username: 'u'.repeat(255), password: goodPassword }, 400, invalid, fields('username')),
    login('email of 255 characters', { email: `${'a'.repeat(243)}@example.com`, password: goodPassword }, 400, invalid, fields('email')),
    login('clientId of 129 characters', { email: userEmail, password: goodPassword, clientId: 'c'.repeat(129) }, 400, invalid, fields('clientId')),
    login('scope of 1025 characters', { email: userEmail, password: goodPassword, scope: 's'.repeat(1025) }, 400, invalid, fields('scope')),
    login('unregistered clientId', { email: userEmail, password: goodPassword, clientId: 'no-such-client' }, 400, invalid, fields('clientId')),
    // Over the cap a password cannot be right: wrong credentials, and never invalid-request (CONTRACT §4).
    login('2049-character password', { email: userEmail, password: tooLongPassword }, 401, 'invalid-credentials'),
  ]],
  ['refresh', [
    ...bodyCases('POST', '/api/auth/refresh', undefined, { objectRequired: true, schema: true }),
    refresh('refreshToken is a number', { refreshToken: 123 }, 400, invalid, fields('refreshToken')),
    refresh('refreshToken is null', { refreshToken: null }, 400, invalid, fields('refreshToken')),
    refresh('refreshToken is an array', { refreshToken: ['a.b'] }, 400, invalid, fields('refreshToken')),
    refresh('refreshToken missing', {}, 400, invalid, fields('refreshToken')),
    refresh('empty refreshToken', { refreshToken: '' }, 400, invalid, fields('refreshToken')),
    refresh('refreshToken of 513 characters', { refreshToken: 'r'.repeat(513) }, 400, invalid, fields('refreshToken')),
    refresh('unknown field', { refreshToken: 'a.b', grant_type: 'refresh_token' }, 400, invalid, fields('grant_type')),
    refresh('a well-formed unknown token', { refreshToken: 'abc.def' }, 401, 'invalid-token'),
    refresh('a token with three parts', { refreshToken: 'a.b.c' }, 401, 'invalid-token'),
    refresh('a token without a dot', { refreshToken: 'abcdef' }, 401, 'invalid-token'),
  ]],
  ['guest', bodyCases('POST', '/api/auth/guest', undefined, { objectRequired: false, schema: false })],
  ['logout', [
    ...bodyCases('POST', '/api/auth/logout', undefined, { objectRequired: false, schema: true }),
    logout('refreshToken is a number', { refreshToken: 123 }, 400, invalid, fields('refreshToken')),
    logout('refreshToken is an array', { refreshToken: ['a.b'] }, 400, invalid, fields('refreshToken')),
    logout('refreshToken of 513 characters', { refreshToken: 'r'.repeat(513) }, 400, invalid, fields('refreshToken')),
    logout('unknown field', { sessionId: unknownId }, 400, invalid, fields('sessionId')),
    logout('unknown refreshToken', { refreshToken: 'abc.def' }, 401, 'invalid-token'),
    logout('no token and no body', undefined, 401, 'unauthorized'),
    logout('no token and a null body', null, 401, 'unauthorized'),
    logout('no token and an empty object', {}, 401, 'unauthorized'),
  ]],
  ['GET account', [
    account('no credential', {}, 401, 'unauthorized'),
    account('Bearer without a token', { authorization: 'Bearer' }, 401, 'invalid-token'),
    account('Bearer with a space', { authorization: 'Bearer a b' }, 401, 'invalid-token'),
    account('Bearer <script>', { authorization: 'Bearer <script>alert(1)</script>' }, 401, 'invalid-token'),
    account('Bearer not-a-jwt', { authorization: 'Bearer not-a-jwt' }, 401, 'invalid-token'),
    account('Bearer with three empty parts', { authorization: 'Bearer ..' }, 401, 'invalid-token'),
    account('Bearer with a garbage JWT', { authorization: 'Bearer eyJhbGciOiJub25lIn0.e30.' }, 401, 'invalid-token'),
    account('Bearer of 10000 characters', { authorization: `Bearer ${'a'.repeat(10_000)}` }, 401, 'invalid-token'),
    account('?_token= garbage', {}, 401, 'invalid-token', '?_token=garbage'),
  ]],
  ['PUT account', [
    ...bodyCases('PUT', '/api/auth/account', 'user', { objectRequired: true, schema: true }),
    changePassword('password is a number', { currentPassword: goodPassword, password: 123 }, 400, invalid, fields('password')),
    changePassword('currentPassword is null', { currentPassword: null, password: otherPassword }, 400, invalid, fields('currentPassword')),
    changePassword('password is an array', { currentPassword: goodPassword, password: [otherPassword] }, 400, invalid, fields('password')),
    changePassword('password missing', { currentPassword: goodPassword }, 400, invalid, fields('password')),
    changePassword('currentPassword missing', { password: otherPassword }, 400, invalid, fields('currentPassword')),
    changePassword('empty object', {}, 400, invalid, fields('password')),
    changePassword('unknown field email', { currentPassword: goodPassword, password: otherPassword, email: 'x@example.com' }, 400, invalid, fields('email')),
    changePassword('wrong currentPassword', { currentPassword: 'Wrong-Pass-123', password: otherPassword }, 401, 'invalid-credentials'),
    changePassword('2049-character currentPassword', { currentPassword: tooLongPassword, password: otherPassword }, 401, 'invalid-credentials'),
    changePassword('2049-character password', { currentPassword: goodPassword, password: tooLongPassword }, 400, 'password-policy', { rules: ['maxLength'] }),
    changePassword('a password failing four rules', { currentPassword: goodPassword, password: weakPassword }, 400, 'password-policy', { rules: weakRules }),
    { ...changePassword('no credential', { currentPassword: goodPassword, password: otherPassword }, 401, 'unauthorized'), as: undefined },
  ]],
  ['GET account/confirmed', [
    confirmed('neither username nor email', '', 400, invalid, fields('username')),
    confirmed('unknown parameter', '?username=alice&admin=true', 400, invalid, fields('admin')),
    confirmed('username repeated', '?username=a&username=b', 400, invalid, fields('username')),
    confirmed('empty username', '?username=', 400, invalid, fields('username')),
    confirmed('username of 255 characters', `?username=${'u'.repeat(255)}`, 400, invalid, fields('username')),
    confirmed('email of 255 characters', `?email=${'a'.repeat(243)}@example.com`, 400, invalid, fields('email')),
  ]],
  ['POST account/confirm', [
    ...bodyCases('POST', '/api/auth/account/confirm', undefined, { objectRequired: true, schema: true }),
    confirm('token is a number', { token: 123 }, 400, invalid, fields('token')),
    confirm('token is null', { token: null }, 400, invalid, fields('token')),
    confirm('token is an array', { token: ['x'] }, 400, invalid, fields('token')),
    confirm('token missing', {}, 400, invalid, fields('token')),
    confirm('empty token', { token: '' }, 400, invalid, fields('token')),
    confirm('a link ending in a slash', { token: 'http://localhost/auth/confirm/' }, 400, invalid, fields('token')),
    confirm('token of 513 characters', { token: 't'.repeat(513) }, 400, invalid, fields('token')),
    confirm('unknown field', { token: 'abc', username: 'admin' }, 400, invalid, fields('username')),
    confirm('an unknown token', { token: 'abc' }, 400, invalid, fields('token')),
  ]],
  ['admin/account', [
    ...bodyCases('PUT', '/api/auth/admin/account', 'admin', { objectRequired: true, schema: true }),
    admin('id is a number', { id: 123, confirmed: true }, 400, invalid, fields('id')),
    admin('id is not a UUID', { id: `${unknownId}' OR 1=1 --`, confirmed: true }, 400, invalid, fields('id')),
    admin('confirmed is a string', (c: Ctx) => ({ id: c.userId, confirmed: 'yes' }), 400, invalid, fields('confirmed')),
    admin('roles is a string', (c: Ctx) => ({ id: c.userId, roles: 'admin' }), 400, invalid, fields('roles')),
    admin('roles holds a number', (c: Ctx) => ({ id: c.userId, roles: [1] }), 400, invalid, fields('roles.0')),
    admin('nine roles', (c: Ctx) => ({ id: c.userId, roles: Array.from({ length: 9 }, () => 'admin') }), 400, invalid, fields('roles')),
    admin('a role of 33 characters', (c: Ctx) => ({ id: c.userId, roles: ['r'.repeat(33)] }), 400, invalid, fields('roles.0')),
    admin('an unknown role', (c: Ctx) => ({ id: c.userId, roles: ['superuser'] }), 400, invalid, fields('roles')),
    admin('email is a number', (c: Ctx) => ({ id: c.userId, email: 5 }), 400, invalid, fields('email')),
    admin('invalid e-mail', (c: Ctx) => ({ id: c.userId, email: 'nope' }), 400, invalid, fields('email')),
    admin('username of 255 characters', { username: 'u'.repeat(255), confirmed: true }, 400, invalid, fields('username')),
    admin('neither id nor username', { confirmed: false }, 400, invalid, fields('id')),
    admin('empty object', {}, 400, invalid, fields('id')),
    admin('unknown field permissions', (c: Ctx) => ({ id: c.userId, permissions: ['*'] }), 400, invalid, fields('permissions')),
    admin('unknown account', { id: unknownId, confirmed: false }, 404, 'not-found'),
    admin('2049-character password', (c: Ctx) => ({ id: c.userId, password: tooLongPassword }), 400, 'password-policy', { rules: ['maxLength'] }),
    admin('a password failing four rules', (c: Ctx) => ({ id: c.userId, password: weakPassword, confirmed: false }), 400, 'password-policy', { rules: weakRules }),
    admin('a user without accounts:write', (c: Ctx) => ({ id: c.userId, confirmed: false }), 403, 'forbidden', { as: 'user' }),
    admin('no credential', (c: Ctx) => ({ id: c.userId, confirmed: false }), 401, 'unauthorized', { as: undefined }),
  ]],
  ['forgot-password', [
    ...bodyCases('POST', '/api/auth/forgot-password', undefined, { objectRequired: true, schema: true }),
    forgot('email is a number', { email: 123 }, 400, invalid, fields('email')),
    forgot('email is null', { email: null }, 400, invalid, fields('email')),
    forgot('email is an array', { email: [userEmail] }, 400, invalid, fields('email')),
    forgot('email missing', {}, 400, invalid, fields('email')),
    forgot('invalid e-mail', { email: 'not-an-email' }, 400, invalid, fields('email')),
    forgot('e-mail of 255 characters', { email: `${'a'.repeat(243)}@example.com` }, 400, invalid, fields('email')),
    forgot('unknown field', { email: userEmail, redirect: 'https://evil.example' }, 400, invalid, fields('redirect')),
  ]],
  ['reset-password', [
    ...bodyCases('POST', '/api/auth/reset-password', undefined, { objectRequired: true, schema: true }),
    reset('token is a number', { token: 1, password: goodPassword }, 400, invalid, fields('token')),
    reset('password is a number', { token: 'abc', password: 123 }, 400, invalid, fields('password')),
    reset('password is null', { token: 'abc', password: null }, 400, invalid, fields('password')),
    reset('token missing', { password: goodPassword }, 400, invalid, fields('token')),
    reset('password missing', { token: 'abc' }, 400, invalid, fields('password')),
    reset('empty object', {}, 400, invalid, fields('token', 'password')),
    reset('token of 513 characters', { token: 't'.repeat(513), password: goodPassword }, 400, invalid, fields('token')),
    reset('unknown field', { token: 'abc', password: goodPassword, email: userEmail }, 400, invalid, fields('email')),
    reset('an unknown token', { token: 'abc', password: goodPassword }, 400, invalid, fields('token')),
    reset('2049-character password', { token: 'abc', password: tooLongPassword }, 400, 'password-policy', { rules: ['maxLength'] }),
    reset('a password failing four rules', { token: 'abc', password: weakPassword }, 400, 'password-policy', { rules: weakRules }),
  ]],
  ['injection strings', injectionCases()],
  // A NUL character is valid JSON and valid UTF-8, but PostgreSQL text cannot hold it: it must never reach a query.
  ['NUL characters', [
    register('username with NUL', { ...newUser, username: 'new\u0000bie' }, 400, invalid, fields('username')),
    register('e-mail with NUL', { ...newUser, email: 'new\u0000bie@example.com' }, 400, invalid, fields('email')),
    // Login names with control characters are malformed input, refused by the schema before any query.
    login('login username with NUL', { username: 'admin\u0000', password: goodPassword }, 400, invalid, fields('username')),
    login('login email with NUL', { email: `${userEmail}\u0000`, password: goodPassword }, 400, invalid, fields('email')),
    // A refresh token is a credential: a malformed one is an invalid credential (401), never sent to the database.
    refresh('refresh token with NUL', { refreshToken: 'a\u0000.b' }, 401, 'invalid-token'),
    logout('logout refresh token with NUL', { refreshToken: 'a\u0000.b' }, 401, 'invalid-token'),
    admin('admin username with NUL', { username: 'admin\u0000', confirmed: true }, 400, invalid, fields('username')),
    forgot('forgot-password e-mail with NUL', { email: `${userEmail}\u0000` }, 400, invalid, fields('email')),
    confirm('confirm token with NUL', { token: 'a\u0000b' }, 400, invalid, fields('token')),
  ]],
];

describe.each(dialects)('/api/auth bad input on %s', (dialect) => {
  const started = useApiAuthServer(dialect);
  let server: TestServer, ctx: Ctx, tokens: Record<Who, string>;
  beforeAll(() => {
    ({ server, ctx, tokens } = started);
  });

  describe.each(cases)('%s', (_endpoint, endpointCases) => {
    it.each(endpointCases)('$method $path: $name → $status $code', async (c) => {
      const before = await snapshot(server);
      const json = typeof c.json === 'function' ? (c.json as (ctx: Ctx) => unknown)(ctx) : c.json;
      const answer = await server.request(c.method, c.path, { json, body: c.body, headers: c.headers, token: c.as ? tokens[c.as] : undefined });
      expectProblem(answer, c.status, c.code, c);
      // Nothing secret is echoed back: not the password, not a 2049-character value.
      expect(answer.text).not.toContain(goodPassword);
      expect(answer.text).not.toContain('aaaaaaaaaaaaaaaaaaaa');
      expect(await snapshot(server)).toEqual(before);
    });
  });

  it('still answers the user and admin tokens afterwards (no bad request revoked or changed anything)', async () => {
    for (const token of [tokens.user, tokens.admin]) expect((await server.request('GET', '/api/auth/account', { token })).status).toBe(200);
    expect((await server.request('POST', '/api/auth/login', { json: { email: userEmail, password: goodPassword } })).status).toBe(200);
  });

  it('accepts a registered clientId (the 400 above is about the client, not the field)', async () => {
    const answer = await server.request('POST', '/api/auth/login', { json: { email: userEmail, password: goodPassword, clientId: 'webapp' } });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.clientId).toBe('webapp');
  });
});
