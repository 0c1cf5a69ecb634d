import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from './helpers/browser.js';
import { dialects, goodPassword, registerAndLogin, startServer, type TestServer } from './helpers/server.js';

const minute = 60_000;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe.each(dialects)('cookie sessions on %s', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect, { env: { GATEHOUSE_ADMIN_PASSWORD: 'bootstrap-pw' } });
    for (const name of ['carol', 'dave', 'erin', 'frank']) {
      await registerAndLogin(server, `${name}@example.com`);
    }
  });
  afterAll(async () => server?.close());

  it('sets the auth cookie with the configured attributes and authenticates every endpoint with it', async () => {
    const browser = new Browser(server);
    const login = await browser.login('carol@example.com', goodPassword);
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ user: 'carol@example.com' });
    const cookie = browser.cookies.get('auth_token')!;
    expect(cookie.value).toMatch(/^[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/);
    expect(cookie.attributes).toMatchObject({ 'max-age': '86400', path: '/', httponly: true, secure: true, samesite: 'Strict' });

    expect((await browser.request('GET', '/auth/user')).body.user).toBe('carol@example.com');
    expect((await browser.request('GET', '/api/auth/account')).body.email).toBe('carol@example.com');
    const id = (await browser.request('GET', '/auth/user')).body.id;
    expect((await browser.request('GET', `/accounts/${id}`)).body.username).toBe('carol@example.com');
    // ?ignoreAuth ignores the cookie (seed 004).
    expect((await browser.request('GET', '/auth/user?ignoreAuth')).body.id).toBe('_guest');
  });

  it('honours auth_maxage, -1 giving a browser-session cookie', async () => {
    const short = new Browser(server);
    await short.login('carol@example.com', goodPassword, 60);
    expect(short.cookies.get('auth_token')!.attributes['max-age']).toBe('60');
    const sessionOnly = new Browser(server);
    await sessionOnly.login('carol@example.com', goodPassword, -1);
    expect(sessionOnly.cookies.get('auth_token')!.attributes['max-age']).toBeUndefined();
    expect((await sessionOnly.request('GET', '/auth/user')).body.user).toBe('carol@example.com');
  });

  it('answers /auth/user with the parsed Accept-Language, and _guest without a credential', async () => {
    const browser = new Browser(server);
    const guest = await browser.request('GET', '/auth/user', { headers: { 'accept-language': 'de;q=0.8, en-US;q=0.89, sv;q=0.69, en' } });
    expect(guest.body).toEqual({ id: '_guest', user: '_guest', clientAcceptLanguage: { de: 0.8, 'en-US': 0.89, sv: 0.69, en: 1 } });
    const malformed = await browser.request('GET', '/auth/user', { headers: { 'accept-language': ';;q=x,,de;q=2, fr;q=0.5, 123, *' } });
    expect(malformed.status).toBe(200);
    expect(malformed.body.clientAcceptLanguage).toEqual({ fr: 0.5, '*': 1 });
    await browser.login('carol@example.com', goodPassword);
    const user = await browser.request('GET', '/auth/user');
    expect(Object.keys(user.body).sort()).toEqual(['authTokenExpires', 'clientAcceptLanguage', 'id', 'language', 'user']);
    expect(new Date(user.body.authTokenExpires).getTime()).toBe(server.clock.now() + 86_400_000);
  });

  it('lists the caller’s own sessions and ends one of them', async () => {
    const phone = new Browser(server, { userAgent: 'phone/2.0' });
    const laptop = new Browser(server, { userAgent: 'laptop/3.0' });
    await phone.login('dave@example.com', goodPassword);
    await laptop.login('dave', goodPassword).then(async (a) => (a.status === 401 ? laptop.login('dave@example.com', goodPassword) : a));
    const list = (await laptop.request('GET', '/auth/tokens')).body;
    const entries = Object.entries(list) as Array<[string, any]>;
    expect(entries.length).toBeGreaterThanOrEqual(2);
    const phoneSession = entries.find(([, s]) => s.userAgent === 'phone/2.0')!;
    expect(phoneSession[1]).toMatchObject({ inetAddress: '127.0.0.1', userName: 'dave@example.com' });
    expect(Object.keys(phoneSession[1]).sort()).toEqual(['inetAddress', 'lastAccess', 'loginExpiration', 'loginTime', 'userAgent', 'userName']);
    expect(JSON.stringify(list)).not.toContain(phone.cookies.get('auth_token')!.value.split('.')[1]);

    expect((await laptop.request('DELETE', '/auth/tokens', { json: { token: phoneSession[0] } })).status).toBe(204);
    const revoked = await server.app.services.database.db.selectFrom('audit_events').select('type').where('session_id', '=', phoneSession[0]).execute();
    expect(revoked.map((e) => e.type)).toContain('session.revoked');
    expect((await phone.request('GET', '/auth/user')).body.id).toBe('_guest');
    expect(phone.cookies.has('auth_token')).toBe(false);
    expect((await laptop.request('GET', '/auth/user')).body.user).toBe('dave@example.com');
  });

  it('logs out with GET /auth/logout: the session is revoked and every auth cookie cleared', async () => {
    const browser = new Browser(server);
    await browser.login('erin@example.com', goodPassword);
    const stolen = browser.cookies.get('auth_token')!.value;
    const logout = await browser.request('GET', '/auth/logout');
    expect(logout.status).toBe(200);
    expect(browser.lastSetCookies.some((c) => /^auth_token=;/.test(c) && /Max-Age=0/i.test(c))).toBe(true);
    expect(browser.cookies.has('auth_token')).toBe(false);
    const replay = await server.request('GET', '/auth/user', { headers: { cookie: `auth_token=${stolen}` } });
    expect(replay.body.id).toBe('_guest');
  });

  it('ends cookie sessions on time, by the injected clock', async () => {
    const browser = new Browser(server);
    await browser.login('erin@example.com', goodPassword, 3600);
    server.clock.advance(59 * minute);
    expect((await browser.request('GET', '/auth/user')).body.user).toBe('erin@example.com');
    server.clock.advance(2 * minute);
    expect((await browser.request('GET', '/auth/user')).body.id).toBe('_guest');
    expect(browser.cookies.has('auth_token')).toBe(false);
  });

  it('writes lastAccess at most once a minute per session', async () => {
    const browser = new Browser(server);
    await browser.login('frank@example.com', goodPassword);
    const sessionId = browser.cookies.get('auth_token')!.value.split('.')[0]!;
    const db = server.app.services.database.db;
    const read = async () => (await db.selectFrom('sessions').select('last_access').where('id', '=', sessionId).executeTakeFirstOrThrow()).last_access;
    const loginTime = await read();
    server.clock.advance(30_000);
    await browser.request('GET', '/auth/user');
    expect(await read()).toBe(loginTime);
    server.clock.advance(31_000);
    await browser.request('GET', '/auth/user');
    expect(await read()).toBe(server.clock.now());
    const written = await read();
    server.clock.advance(10_000);
    await browser.request('GET', '/auth/user');
    expect(await read()).toBe(written);
  });

  it('changes passwords through PUT /accounts/{id} with seed 004’s current-password rules', async () => {
    const own = new Browser(server);
    const other = new Browser(server);
    await own.login('frank@example.com', goodPassword);
    await other.login('frank@example.com', goodPassword);
    const id = (await own.request('GET', '/auth/user')).body.id;
    const missing = await own.request('PUT', `/accounts/${id}`, { json: { password: 'Frank-New-Pass-1' } });
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0].field).toBe('currentPassword');
    const weak = await own.request('PUT', `/accounts/${id}`, { json: { currentPassword: goodPassword, password: 'weak' } });
    expect(weak.body.code).toBe('password-policy');
    const changed = await own.request('PUT', `/accounts/${id}`, { json: { currentPassword: goodPassword, password: 'Frank-New-Pass-1' } });
    expect(changed.status).toBe(200);
    expect((await own.request('GET', '/auth/user')).body.user).toBe('frank@example.com');
    expect((await other.request('GET', '/auth/user')).body.id).toBe('_guest');
    const audit = await server.app.services.database.db.selectFrom('audit_events').select(['type', 'data']).where('account_id', '=', id).execute();
    expect(audit.some((e) => e.type === 'session.revoked' && e.data?.includes('password-changed'))).toBe(true);

    // An admin changes another's password without the current one, but its own only with it.
    const admin = new Browser(server);
    expect((await admin.login('admin', 'bootstrap-pw')).status).toBe(200);
    expect((await admin.request('PUT', `/accounts/${id}`, { json: { password: 'Set-By-Admin-9' } })).status).toBe(200);
    expect((await own.request('GET', '/auth/user')).body.id).toBe('_guest');
    expect((await new Browser(server).login('frank@example.com', 'Set-By-Admin-9')).status).toBe(200);
    const adminId = (await admin.request('GET', '/auth/user')).body.id;
    expect((await admin.request('PUT', `/accounts/${adminId}`, { json: { password: 'Admin-Own-Pass-1' } })).status).toBe(400);
    expect((await admin.request('PUT', `/accounts/${adminId}`, { json: { currentPassword: 'bootstrap-pw', password: 'Admin-Own-Pass-1' } })).status).toBe(200);
    // A plain user may not touch another account.
    const plain = new Browser(server);
    await plain.login('carol@example.com', goodPassword);
    expect((await plain.request('PUT', `/accounts/${id}`, { json: { password: 'Hijack-Pass-123' } })).status).toBe(403);
  });

  it('records audit events for cookie logins, failures and logouts', async () => {
    const browser = new Browser(server);
    await browser.login('carol@example.com', 'wrong-password');
    await browser.login('carol@example.com', goodPassword);
    await browser.request('GET', '/auth/logout');
    const events = await server.app.services.database.db.selectFrom('audit_events').select(['type', 'data']).orderBy('id').execute();
    const types = events.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['login.failed', 'login.succeeded', 'logout']));
    expect(events.some((e) => e.type === 'login.succeeded' && e.data?.includes('"cookie"'))).toBe(true);
  });
});

describe.each(dialects)('cookie configuration, sliding expiry and restarts on %s', (dialect) => {
  it('derives the cookie path from baseUrl and applies name, HttpOnly, SameSite=None (forcing Secure) and Max-Age -1', async () => {
    const server = await startServer(dialect, {
      config: { signup: { alwaysConfirm: true }, cookie: { name: 'gh_session', httpOnly: false, secure: false, sameSite: 'none', maxAge: -1 } },
    });
    try {
      await server.request('POST', '/api/auth/register', { json: { email: 'cfg@example.com', password: goodPassword } });
      const browser = new Browser(server);
      await browser.login('cfg@example.com', goodPassword);
      const cookie = browser.cookies.get('gh_session')!;
      expect(cookie.attributes).toMatchObject({ path: '/', samesite: 'None', secure: true });
      expect(cookie.attributes.httponly).toBeUndefined();
      expect(cookie.attributes['max-age']).toBeUndefined();
      expect((await browser.request('GET', '/auth/user')).body.user).toBe('cfg@example.com');
    } finally {
      await server.close();
    }
  });

  it('uses baseUrl’s path for cookie.path auto', async () => {
    const server = await startServer(dialect, { config: { signup: { alwaysConfirm: true } } });
    const mounted = await startServer(dialect, { config: { server: { baseUrl: 'https://accounts.example.com/gatehouse/' }, signup: { alwaysConfirm: true } } });
    try {
      expect(mounted.config.cookie.path).toBe('/gatehouse');
      await mounted.request('POST', '/api/auth/register', { json: { email: 'p@example.com', password: goodPassword } });
      // The browser is on the public origin (behind the proxy); its Origin passes the login-CSRF check.
      const browser = new Browser(mounted, { origin: 'https://accounts.example.com' });
      await browser.login('p@example.com', goodPassword);
      expect(browser.cookies.get('auth_token')!.attributes.path).toBe('/gatehouse');
    } finally {
      await mounted.close();
      await server.close();
    }
  });

  it('slides the session end on access with cookie.refreshExpirationOnAccess, and re-sends the cookie', async () => {
    const server = await startServer(dialect, { config: { signup: { alwaysConfirm: true }, cookie: { maxAge: 3600, refreshExpirationOnAccess: true } } });
    try {
      await server.request('POST', '/api/auth/register', { json: { email: 'slide@example.com', password: goodPassword } });
      const browser = new Browser(server);
      await browser.login('slide@example.com', goodPassword);
      for (let i = 0; i < 3; i++) {
        server.clock.advance(50 * minute);
        expect((await browser.request('GET', '/auth/user')).body.user).toBe('slide@example.com');
        expect(browser.lastSetCookies.some((c) => c.startsWith('auth_token=') && /Max-Age=3600/.test(c))).toBe(true);
      }
      server.clock.advance(61 * minute);
      expect((await browser.request('GET', '/auth/user')).body.id).toBe('_guest');
    } finally {
      await server.close();
    }
  });

  it('keeps cookie sessions across a restart, and ends them on time afterwards', async () => {
    const first = await startServer(dialect, { config: { signup: { alwaysConfirm: true } } });
    let second: TestServer | undefined;
    try {
      await first.request('POST', '/api/auth/register', { json: { email: 'persist@example.com', password: goodPassword } });
      const browser = new Browser(first);
      await browser.login('persist@example.com', goodPassword);
      const cookie = browser.cookies.get('auth_token')!.value;
      await first.stop();
      second = await startServer(dialect, { database: first.database, smtp: first.smtp, clock: first.clock });
      const again = await second.request('GET', '/auth/user', { headers: { cookie: `auth_token=${cookie}` } });
      expect(again.body.user).toBe('persist@example.com');
      second.clock.advance(24 * 60 * minute + 1);
      expect((await second.request('GET', '/auth/user', { headers: { cookie: `auth_token=${cookie}` } })).body.id).toBe('_guest');
    } finally {
      await second?.close();
      await first.close();
    }
  });

  it('reports the client address from X-Forwarded-For only with server.trustProxy', async () => {
    for (const trustProxy of [false, 1]) {
      const server = await startServer(dialect, { config: { signup: { alwaysConfirm: true }, server: { trustProxy } } });
      try {
        await server.request('POST', '/api/auth/register', { json: { email: 'proxy@example.com', password: goodPassword } });
        const browser = new Browser(server);
        await browser.request('POST', '/auth/cookie', {
          form: { auth_username: 'proxy@example.com', auth_password: goodPassword },
          headers: { 'x-forwarded-for': '203.0.113.9' },
        });
        const sessions = Object.values((await browser.request('GET', '/auth/tokens')).body) as Array<{ inetAddress: string }>;
        expect(sessions[0]!.inetAddress).toBe(trustProxy ? '203.0.113.9' : '127.0.0.1');
      } finally {
        await server.close();
      }
    }
  });
});

describe('HTTP Basic disabled', () => {
  it('ignores Basic credentials and never challenges for Basic', async () => {
    const server = await startServer('sqlite');
    try {
      const guest = await server.request('GET', '/api/auth/account', { headers: { authorization: basic('nobody', 'Wrong-Pass-1') } });
      expect(guest.status).toBe(401);
      expect(guest.headers.get('x-error-code')).toBe('unauthorized');
      expect(guest.headers.get('www-authenticate')).toBeNull();
    } finally {
      await server.close();
    }
  });
});

describe.each(dialects)('HTTP Basic on %s', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect, { config: { httpBasic: { enabled: true }, signup: { alwaysConfirm: true } } });
    await server.request('POST', '/api/auth/register', { json: { username: 'basil', email: 'basil@example.com', password: goodPassword } });
  });
  afterAll(async () => server?.close());

  it('challenges at /auth/basic and accepts Basic credentials on every endpoint, as one session', async () => {
    const challenge = await server.request('GET', '/auth/basic');
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get('www-authenticate')).toMatch(/^Basic realm="gatehouse"/);
    const authorization = basic('basil', goodPassword);
    const ok = await server.request('GET', '/auth/basic', { headers: { authorization } });
    expect(ok.status).toBe(200);
    expect(ok.body.user).toBe('basil');
    expect((await server.request('GET', '/api/auth/account', { headers: { authorization } })).body.username).toBe('basil');
    // Unsafe methods with Basic need no Origin (a browser never sends Basic on its own to another site).
    const id = ok.body.id;
    expect((await server.request('PUT', `/accounts/${id}`, { headers: { authorization }, json: { language: 'de' } })).status).toBe(200);
    const sessions = await server.app.services.database.db.selectFrom('sessions').select('id').where('account_id', '=', id).where('method', '=', 'basic').execute();
    expect(sessions).toHaveLength(1);
  });

  it('challenges for Basic on every 401 to a request that carried Basic credentials, whichever route or check refused it', async () => {
    await server.request('POST', '/api/auth/register', { json: { username: 'bianca', email: 'bianca@example.com', password: goodPassword } });
    const refusals: Array<[string, string, string, Record<string, unknown>?]> = [
      ['GET', '/auth/basic', basic('bianca', 'Wrong-Pass-1')],
      ['GET', '/auth/user', basic('bianca', 'Wrong-Pass-2')],
      ['GET', '/api/auth/account', basic('bianca', 'Wrong-Pass-3')],
      ['GET', '/api/auth/account', basic('nobody-here', 'Wrong-Pass-4')],
      ['GET', '/auth/user', 'Basic !!!not-base64!!!'],
    ];
    for (const [method, path, authorization] of refusals) {
      const refused = await server.request(method, path, { headers: { authorization } });
      expect(refused.status, `${method} ${path}`).toBe(401);
      expect(refused.headers.get('x-error-code')).toBe('invalid-credentials');
      expect(refused.headers.get('www-authenticate'), `${method} ${path}`).toBe('Basic realm="gatehouse", charset="UTF-8"');
    }
    // A 401 a route answers itself, after the Basic credential passed: a wrong current password.
    const authorization = basic('bianca', goodPassword);
    const me = await server.request('GET', '/auth/user', { headers: { authorization } });
    expect(me.status).toBe(200);
    expect(me.headers.get('www-authenticate')).toBeNull();
    const change = await server.request('PUT', `/accounts/${me.body.id}`, { headers: { authorization }, json: { currentPassword: 'Not-The-One-1', password: 'Bianca-New-Pass-2' } });
    expect(change.status).toBe(401);
    expect(change.headers.get('www-authenticate')).toMatch(/^Basic realm="gatehouse"/);
    // No Basic credentials, no Basic challenge (but at /auth/basic itself).
    const bearer = await server.request('GET', '/api/auth/account', { headers: { authorization: 'Bearer not.a.token' } });
    expect(bearer.status).toBe(401);
    expect(bearer.headers.get('www-authenticate')).toBeNull();
  });

  it('refuses a wrong Basic password with 401 invalid-credentials', async () => {
    const wrong = await server.request('GET', '/auth/user', { headers: { authorization: basic('basil', 'nope') } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('x-error-code')).toBe('invalid-credentials');
  });

  it('stops accepting the old password after a password change', async () => {
    const old = basic('basil', goodPassword);
    const id = (await server.request('GET', '/auth/user', { headers: { authorization: old } })).body.id;
    const changed = await server.request('PUT', `/accounts/${id}`, { headers: { authorization: old }, json: { currentPassword: goodPassword, password: 'Basil-New-Pass-2' } });
    expect(changed.status).toBe(200);
    expect((await server.request('GET', '/auth/user', { headers: { authorization: old } })).status).toBe(401);
    expect((await server.request('GET', '/auth/user', { headers: { authorization: basic('basil', 'Basil-New-Pass-2') } })).body.user).toBe('basil');
  });

  it('logs a Basic session out server-side with /auth/logout', async () => {
    await server.request('POST', '/api/auth/register', { json: { username: 'bert', email: 'bert@example.com', password: goodPassword } });
    const authorization = basic('bert', goodPassword);
    await server.request('GET', '/auth/user', { headers: { authorization } });
    const db = server.app.services.database.db;
    const live = () => db.selectFrom('sessions').innerJoin('accounts', 'accounts.id', 'sessions.account_id').select('sessions.id')
      .where('accounts.username', '=', 'bert').where('sessions.revoked_at', 'is', null).execute();
    expect(await live()).toHaveLength(1);
    expect((await server.request('GET', '/auth/logout', { headers: { authorization } })).status).toBe(200);
    expect(await live()).toHaveLength(0);
  });
});
