import { beforeAll, describe, expect, it } from 'vitest';
import { dialects, goodPassword, type TestServer } from './helpers/server.js';
import { expectProblem } from './helpers/problems.js';
import type { BadRequest } from './helpers/bad-request.js';
import {
  authSetCookie, callbackURL, evil, form, formType, injections, invalid, snapshot, unknownId, useSessionServers, userEmail, type Ctx,
} from './helpers/sessions-bad-input.js';

/*
 * Bad input on the cookie / HTTP Basic session endpoints (CONTRACT §3–§5, DESIGN "Tests"), one table of cases:
 * /auth/cookie, /auth/tokens, /auth/logout and /accounts/{id}. Every error is problem+json with a stable code, and a
 * refused request stores or ends nothing.
 */

/** 2049 characters that pass every other rule: the cap alone is violated. */
const tooLongPassword = `Aa1${'a'.repeat(2046)}`;

interface BadCase extends BadRequest<Ctx> {
  method: string;
  path: string | ((ctx: Ctx) => string);
  as?: 'user' | 'admin';
}

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

describe.each(dialects)('sessions bad input on %s', (dialect) => {
  const servers = useSessionServers(dialect);
  let server: TestServer, ctx: Ctx;
  beforeAll(() => {
    ({ server, ctx } = servers);
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
});
