import { beforeAll, describe, expect, it } from 'vitest';
import { dialects, goodPassword, type Answer, type TestServer } from './helpers/server.js';
import { counts, expectProblem } from './helpers/problems.js';
import {
  authSetCookie, basic, callbackURL, cookieLogin, evil, expectNoAuthCookie, form, formType, injections, invalid, isRevoked, snapshot,
  unknownId, useSessionServers, userEmail, whoAmI, type Ctx, type CookieSession,
} from './helpers/sessions-bad-input.js';

/*
 * Edge cases and dead credentials on the cookie / HTTP Basic session endpoints (CONTRACT §3–§5, DESIGN "Tests"):
 * the methods and limits of /auth/cookie, ending sessions, /auth/logout's redirect, /auth/basic and Basic
 * credentials, and dead cookies, which make a guest and are cleared. A refused request stores or ends nothing.
 */

/** The response removes the auth cookie: empty value and Max-Age=0 or an Expires in the past. */
function expectCleared(answer: Answer): void {
  const set = authSetCookie(answer);
  expect(set, `no auth_token Set-Cookie in ${answer.headers.getSetCookie().join(' | ')}`).toBeDefined();
  expect(set).toMatch(/^auth_token=;/);
  const maxAge = /;\s*Max-Age=(-?\d+)/i.exec(set!)?.[1];
  const expires = /;\s*Expires=([^;]+)/i.exec(set!)?.[1];
  expect(maxAge === '0' || (expires !== undefined && Date.parse(expires) <= Date.now()), set).toBe(true);
}

describe.each(dialects)('sessions bad input on %s', (dialect) => {
  const servers = useSessionServers(dialect, { plain: true });
  /** `server` has httpBasic enabled (most of the suite), `plain` has it disabled (the default). */
  let server: TestServer, plain: TestServer, ctx: Ctx;
  beforeAll(() => {
    ({ server, plain, ctx } = servers);
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
});
