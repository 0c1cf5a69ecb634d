import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from './helpers/browser.js';
import { mailTo as mailOf, requestEmailChange } from './helpers/mail-links.js';
import { dialects, goodPassword, registerAndLogin, startServer, type Answer, type TestServer } from './helpers/server.js';
import { expectProblem } from './helpers/problems.js';

/*
 * `POST /auth/change-email` and the page its links open (seed 000 "Auth/Change-Email"): the new address confirms the
 * change, the old one can revert it, which ends every session. Both links are single-use and expire.
 */

const day = 24 * 60 * 60 * 1000;


describe.each(dialects)('e-mail change on %s', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect);
  });
  afterAll(async () => server?.close());

  const mailTo = (to: string, subject: string, since: number) => mailOf(server, to, subject, since);
  const requestChange = (token: string, from: string, to: string) => requestEmailChange(server, token, from, to);

  async function account(token: string) {
    const answer = await server.request('GET', '/api/auth/account', { token });
    expect(answer.status, answer.text).toBe(200);
    return answer.body;
  }

  it('mails both addresses; the new address\'s link makes the change once; logins follow the new address', async () => {
    const user = await registerAndLogin(server, 'mover@example.com');
    const links = await requestChange(user.accessToken, 'mover@example.com', 'Moved@Example.com');
    expect(await account(user.accessToken)).toMatchObject({ email: 'mover@example.com', pendingEmail: 'Moved@Example.com' });

    const page = await server.request('GET', links.change);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).toContain('Your e-mail address is now Moved@Example.com');
    expect(await account(user.accessToken)).toMatchObject({ email: 'Moved@Example.com', username: 'Moved@Example.com', pendingEmail: null });

    const again = await server.request('GET', links.change);
    expect(again.status).toBe(400);
    expect(again.text).toContain('invalid, expired or was already used');
    const german = await server.request('GET', links.change, { headers: { 'accept-language': 'de-DE,de;q=0.9' } });
    expect(german.status).toBe(400);
    expect(german.text).toContain('<html lang="de">');
    expect(german.text).toContain('Dieser Link ist ungültig, abgelaufen oder wurde schon verwendet.');

    expect((await server.request('POST', '/api/auth/login', { json: { email: 'moved@example.com', password: goodPassword } })).status).toBe(200);
    expectProblem(await server.request('POST', '/api/auth/login', { json: { email: 'mover@example.com', password: goodPassword } }), 401, 'invalid-credentials');
    expect((await server.request('GET', '/auth/email-available?email=mover@example.com')).body.available).toBe(true);
    expect((await server.request('GET', '/auth/email-available?email=moved@example.com')).body.available).toBe(false);

    const audit = await server.app.services.database.db.selectFrom('audit_events').selectAll().where('type', '=', 'email.changed').where('account_id', '=', user.userId).execute();
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]!.data!)).toMatchObject({ from: 'mover@example.com', to: 'Moved@Example.com' });
  });

  it('the old address\'s link reverts the change, ends every session of the account, and works once', async () => {
    const user = await registerAndLogin(server, 'victim@example.com');
    const second = await server.request('POST', '/api/auth/login', { json: { email: 'victim@example.com', password: goodPassword } });
    const browser = new Browser(server);
    expect((await browser.login('victim@example.com', goodPassword)).status).toBe(200);
    const links = await requestChange(user.accessToken, 'victim@example.com', 'attacker@example.com');
    expect((await server.request('GET', links.change)).status).toBe(200);
    expect((await account(user.accessToken)).email).toBe('attacker@example.com');

    const page = await server.request('GET', links.revert);
    expect(page.status, page.text).toBe(200);
    expect(page.text).toContain('your e-mail address is victim@example.com again');
    expect(page.text).toContain('signed out');

    expectProblem(await server.request('GET', '/api/auth/account', { token: user.accessToken }), 401, 'token-revoked');
    expectProblem(await server.request('GET', '/api/auth/account', { token: second.body.accessToken }), 401, 'token-revoked');
    expectProblem(await server.request('POST', '/api/auth/refresh', { json: { refreshToken: user.refreshToken } }), 401, 'token-revoked');
    expect((await browser.request('GET', '/auth/user')).body.user).toBe('_guest');

    const login = await server.request('POST', '/api/auth/login', { json: { email: 'victim@example.com', password: goodPassword } });
    expect(login.status, login.text).toBe(200);
    expect(await account(login.body.accessToken)).toMatchObject({ email: 'victim@example.com', username: 'victim@example.com', pendingEmail: null });
    expect((await server.request('GET', links.revert)).status).toBe(400);

    const events = await server.app.services.database.db.selectFrom('audit_events').select(['type', 'data']).where('account_id', '=', user.userId).orderBy('id').execute();
    expect(events.filter((e) => e.type === 'email.changed').map((e) => JSON.parse(e.data!).reverted ?? false)).toEqual([false, true]);
    expect(events.some((e) => e.type === 'session.revoked' && JSON.parse(e.data!).reason === 'email-change-reverted')).toBe(true);
  });

  it('a revert before the change was confirmed cancels it: the change link stops working', async () => {
    const user = await registerAndLogin(server, 'cancel@example.com');
    const links = await requestChange(user.accessToken, 'cancel@example.com', 'never@example.com');
    expect((await server.request('GET', links.revert)).status).toBe(200);
    expect((await server.request('GET', links.change)).status).toBe(400);
    const login = await server.request('POST', '/api/auth/login', { json: { email: 'cancel@example.com', password: goodPassword } });
    expect(await account(login.body.accessToken)).toMatchObject({ email: 'cancel@example.com', pendingEmail: null });
  });

  it('a newer request replaces the pending one', async () => {
    const user = await registerAndLogin(server, 'twice@example.com');
    const first = await requestChange(user.accessToken, 'twice@example.com', 'first@example.com');
    const second = await requestChange(user.accessToken, 'twice@example.com', 'second@example.com');
    expect((await account(user.accessToken)).pendingEmail).toBe('second@example.com');
    expect((await server.request('GET', first.change)).status).toBe(400);
    expect((await server.request('GET', second.change)).status).toBe(200);
    expect((await account(user.accessToken)).email).toBe('second@example.com');
  });

  it('links expire: the change after signup.confirmationTokenTtl (3 days), the revert after 7 days', async () => {
    const user = await registerAndLogin(server, 'slow@example.com');
    const links = await requestChange(user.accessToken, 'slow@example.com', 'slower@example.com');
    server.clock.advance(3 * day + 1000);
    expect((await server.request('GET', links.change)).status).toBe(400);
    expect((await server.request('GET', links.revert)).status).toBe(200);

    const fresh = await server.request('POST', '/api/auth/login', { json: { email: 'slow@example.com', password: goodPassword } });
    const later = await requestChange(fresh.body.accessToken, 'slow@example.com', 'slower@example.com');
    server.clock.advance(3 * day - 60_000);
    expect((await server.request('GET', later.change)).status).toBe(200);
    server.clock.advance(4 * day + 120_000);
    expect((await server.request('GET', later.revert)).status).toBe(400);
    const login = await server.request('POST', '/api/auth/login', { json: { email: 'slower@example.com', password: goodPassword } });
    expect(login.status, login.text).toBe(200);
  });

  it('409 when the new address is taken, at request time or by the time the link is followed', async () => {
    const user = await registerAndLogin(server, 'wants@example.com');
    await registerAndLogin(server, 'owner@example.com');
    const before = await server.app.services.database.db.selectFrom('one_time_tokens').selectAll().execute();
    expectProblem(await server.request('POST', '/auth/change-email', { token: user.accessToken, json: { email: 'OWNER@example.com' } }), 409, 'conflict', { fields: ['email'] });
    expect(await server.app.services.database.db.selectFrom('one_time_tokens').selectAll().execute()).toHaveLength(before.length);

    const links = await requestChange(user.accessToken, 'wants@example.com', 'contested@example.com');
    expect((await server.request('POST', '/api/auth/register', { json: { email: 'contested@example.com', password: goodPassword } })).status).toBe(201);
    const page = await server.request('GET', links.change);
    expect(page.status).toBe(409);
    expect(page.text).toContain('used by another account');
    expect((await account(user.accessToken)).email).toBe('wants@example.com');
  });

  it('needs a user credential; refuses bad input, a cross-site cookie post, guests; stores nothing', async () => {
    const user = await registerAndLogin(server, 'strict@example.com');
    const db = server.app.services.database.db;
    const snapshot = async () => ({
      tokens: (await db.selectFrom('one_time_tokens').select(['token_hash', 'used_at']).orderBy('token_hash').execute()),
      accounts: (await db.selectFrom('accounts').select(['id', 'email', 'username', 'pending_email']).orderBy('id').execute()),
    });
    const before = await snapshot();
    expectProblem(await server.request('POST', '/auth/change-email', { json: { email: 'x@example.com' } }), 401, 'unauthorized');
    expectProblem(await server.request('POST', '/auth/change-email', { token: 'not.a.jwt', json: { email: 'x@example.com' } }), 401, 'invalid-token');
    const cases: { json?: unknown; body?: string; headers?: Record<string, string>; status: number; code: string; fields?: string[] }[] = [
      { json: {}, status: 400, code: 'invalid-request', fields: ['email'] },
      { json: { email: 42 }, status: 400, code: 'invalid-request', fields: ['email'] },
      { json: { email: ['a@example.com'] }, status: 400, code: 'invalid-request', fields: ['email'] },
      { json: { email: 'nope' }, status: 400, code: 'invalid-request', fields: ['email'] },
      { json: { email: 'nul\u0000@example.com' }, status: 400, code: 'invalid-request', fields: ['email'] },
      { json: { email: "' OR 1=1 --" }, status: 400, code: 'invalid-request', fields: ['email'] },
      { json: { email: '<script>alert(1)</script>@example.com' }, status: 400, code: 'invalid-request', fields: ['email'] },
      { json: { email: `${'a'.repeat(250)}@example.com` }, status: 400, code: 'invalid-request', fields: ['email'] },
      { json: { email: 'ok@example.com', confirmed: true }, status: 400, code: 'invalid-request', fields: ['confirmed'] },
      { json: { email: 'STRICT@example.com' }, status: 400, code: 'invalid-request', fields: ['email'] },
      { json: null, status: 400, code: 'invalid-request' },
      { body: '{"email":', headers: { 'content-type': 'application/json' }, status: 400, code: 'invalid-request', fields: ['body'] },
      { body: 'email=a%40example.com', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: 'unsupported-media-type' },
    ];
    for (const c of cases) {
      const answer = await server.request('POST', '/auth/change-email', { token: user.accessToken, json: c.json, body: c.body, headers: c.headers });
      expectProblem(answer, c.status, c.code, { fields: c.fields });
    }
    for (const token of ['short', 'x'.repeat(90), `${'A'.repeat(43)}`, encodeURIComponent("' OR 1=1 --"), '%00'.repeat(30), encodeURIComponent('<b>x</b>')]) {
      const answer = await server.request('GET', `/auth/change-email/${token}`);
      expect(answer.status, token).toBe(400);
      expect(answer.text).not.toContain('<b>x</b>');
    }
    // Longer than Fastify's maxParamLength: refused before routing.
    expect((await server.request('GET', `/auth/change-email/${'x'.repeat(600)}`)).status).toBe(414);

    // Signed in on our own origin, then a foreign page's request carries the cookie.
    const signedIn = new Browser(server);
    expect((await signedIn.login('strict@example.com', goodPassword)).status).toBe(200);
    const crossSite = new Browser(server, { origin: 'https://evil.example' });
    crossSite.cookies.set('auth_token', signedIn.cookies.get('auth_token')!);
    expectProblem(await crossSite.request('POST', '/auth/change-email', { json: { email: 'evil@example.com' } }), 403, 'forbidden');

    const guest = await server.request('POST', '/api/auth/guest');
    expectProblem(await server.request('POST', '/auth/change-email', { token: guest.body.accessToken, json: { email: 'guest@example.com' } }), 403, 'forbidden');
    expect(await snapshot()).toEqual({ ...before, accounts: expect.arrayContaining(before.accounts) });
    expect((await snapshot()).tokens).toEqual(before.tokens);
  });
});
