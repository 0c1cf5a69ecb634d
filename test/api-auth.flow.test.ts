import { hash as bcryptHash } from '@node-rs/bcrypt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, goodPassword, registerAndLogin, startServer, type TestServer } from './helpers/server.js';

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;

describe.each(dialects)('/api/auth flows on %s', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect, { env: { GATEHOUSE_ADMIN_PASSWORD: 'bootstrap-pw' } });
  });
  afterAll(async () => server?.close());

  it('registers, confirms through the e-mailed link, logs in, refreshes and reads the account', async () => {
    const registered = await server.request('POST', '/api/auth/register', { json: { username: 'alice', email: 'alice@example.com', password: goodPassword } });
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({ username: 'alice', email: 'alice@example.com', confirmed: false, type: 'user', roles: ['user'], hasPassword: true });
    expect(registered.text).not.toMatch(/argon2|password"/);

    const early = await server.request('POST', '/api/auth/login', { json: { username: 'alice', password: goodPassword } });
    expect(early.status).toBe(403);
    expect(early.body.code).toBe('account-not-confirmed');
    expect((await server.request('GET', '/api/auth/account/confirmed?username=alice')).body).toEqual({ confirmed: false });

    const mail = await server.smtp.waitFor((m) => m.to.includes('alice@example.com'));
    expect(mail.html).toContain('/auth/confirm/');
    const page = await fetch(server.smtp.linkIn(mail, '/auth/confirm/'));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('confirmed');
    expect((await server.request('GET', '/api/auth/account/confirmed?email=ALICE@example.com')).body).toEqual({ confirmed: true });

    const login = await server.request('POST', '/api/auth/login', { json: { email: 'alice@example.com', password: goodPassword } });
    expect(login.status).toBe(200);
    const token = login.body;
    expect(Object.keys(token).sort()).toEqual(['accessToken', 'accessTokenExpiresAt', 'refreshToken', 'refreshTokenExpiresAt', 'userId']);
    expect(new Date(token.accessTokenExpiresAt).getTime()).toBe(Math.floor((server.clock.now() + hour) / 1000) * 1000);
    expect(new Date(token.refreshTokenExpiresAt).getTime()).toBe(server.clock.now() + 30 * day);

    const account = await server.request('GET', '/api/auth/account', { token: token.accessToken });
    expect(account.status).toBe(200);
    expect(account.body).toMatchObject({ id: token.userId, username: 'alice', confirmed: true });

    const refreshed = await server.request('POST', '/api/auth/refresh', { json: { refreshToken: token.refreshToken } });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refreshToken).not.toBe(token.refreshToken);
    expect(refreshed.body.userId).toBe(token.userId);
    expect((await server.request('GET', '/api/auth/account', { token: refreshed.body.accessToken })).status).toBe(200);
  });

  it('accepts the token in ?_token= and rejects missing, malformed and foreign tokens with x-error-code', async () => {
    const { accessToken } = await registerAndLogin(server, 'query@example.com');
    expect((await server.request('GET', `/api/auth/account?_token=${accessToken}`)).status).toBe(200);
    const none = await server.request('GET', '/api/auth/account');
    expect(none.status).toBe(401);
    expect(none.headers.get('x-error-code')).toBe('unauthorized');
    expect(none.headers.get('content-type')).toContain('application/problem+json');
    const bad = await server.request('GET', '/api/auth/account', { headers: { authorization: 'Bearer not-a-jwt' } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('x-error-code')).toBe('invalid-token');
  });

  it('lets the access token expire with the clock: 401 access-token-expired, and refresh gives a working one', async () => {
    const { accessToken, refreshToken } = await registerAndLogin(server, 'expiry@example.com');
    server.clock.advance(hour + 1000);
    const expired = await server.request('GET', '/api/auth/account', { token: accessToken });
    expect(expired.status).toBe(401);
    expect(expired.headers.get('x-error-code')).toBe('access-token-expired');
    const refreshed = await server.request('POST', '/api/auth/refresh', { json: { refreshToken } });
    expect(refreshed.status).toBe(200);
    expect((await server.request('GET', '/api/auth/account', { token: refreshed.body.accessToken })).status).toBe(200);
  });

  it('expires refresh tokens after tokens.refreshTokenTtl: 401 refresh-token-expired', async () => {
    const { refreshToken } = await registerAndLogin(server, 'refresh-expiry@example.com');
    server.clock.advance(30 * day + 1);
    const answer = await server.request('POST', '/api/auth/refresh', { json: { refreshToken } });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('x-error-code')).toBe('refresh-token-expired');
  });

  it('returns the same successor to concurrent refreshes within the reuse window', async () => {
    const { refreshToken } = await registerAndLogin(server, 'tabs@example.com');
    const answers = await Promise.all(Array.from({ length: 5 }, () => server.request('POST', '/api/auth/refresh', { json: { refreshToken } })));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(answers.map((a) => a.body.refreshToken)).size).toBe(1);
    server.clock.advance(9_000);
    const again = await server.request('POST', '/api/auth/refresh', { json: { refreshToken } });
    expect(again.body.refreshToken).toBe(answers[0]!.body.refreshToken);
    // The successor still works and rotates normally.
    const next = await server.request('POST', '/api/auth/refresh', { json: { refreshToken: answers[0]!.body.refreshToken } });
    expect(next.status).toBe(200);
  });

  it('revokes the whole session when a rotated refresh token is replayed after the window', async () => {
    const { refreshToken, accessToken } = await registerAndLogin(server, 'thief@example.com');
    const first = await server.request('POST', '/api/auth/refresh', { json: { refreshToken } });
    expect(first.status).toBe(200);
    server.clock.advance(10_001);
    const replay = await server.request('POST', '/api/auth/refresh', { json: { refreshToken } });
    expect(replay.status).toBe(401);
    expect(replay.headers.get('x-error-code')).toBe('refresh-token-reused');
    // Every credential of the session is dead now: the successor and both access tokens.
    const successor = await server.request('POST', '/api/auth/refresh', { json: { refreshToken: first.body.refreshToken } });
    expect(successor.status).toBe(401);
    expect(successor.headers.get('x-error-code')).toBe('token-revoked');
    for (const token of [accessToken, first.body.accessToken]) {
      const answer = await server.request('GET', '/api/auth/account', { token });
      expect(answer.status).toBe(401);
      expect(answer.headers.get('x-error-code')).toBe('token-revoked');
    }
  });

  it('logs out by bearer token and by refresh token', async () => {
    const a = await registerAndLogin(server, 'logout@example.com');
    expect((await server.request('POST', '/api/auth/logout', { token: a.accessToken })).status).toBe(204);
    expect((await server.request('GET', '/api/auth/account', { token: a.accessToken })).headers.get('x-error-code')).toBe('token-revoked');
    expect((await server.request('POST', '/api/auth/refresh', { json: { refreshToken: a.refreshToken } })).status).toBe(401);

    const b = (await server.request('POST', '/api/auth/login', { json: { email: 'logout@example.com', password: goodPassword } })).body;
    expect((await server.request('POST', '/api/auth/logout', { json: { refreshToken: b.refreshToken } })).status).toBe(204);
    expect((await server.request('GET', '/api/auth/account', { token: b.accessToken })).status).toBe(401);
  });

  it('creates guests whose refresh token never expires', async () => {
    const guest = await server.request('POST', '/api/auth/guest');
    expect(guest.status).toBe(200);
    expect(guest.body.refreshTokenExpiresAt).toBeUndefined();
    const account = await server.request('GET', '/api/auth/account', { token: guest.body.accessToken });
    expect(account.body).toMatchObject({ type: 'guest', email: null, hasPassword: false });
    server.clock.advance(400 * day);
    const refreshed = await server.request('POST', '/api/auth/refresh', { json: { refreshToken: guest.body.refreshToken } });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refreshTokenExpiresAt).toBeUndefined();
  });

  it('changes one’s own password with the current one; other sessions end, this one stays', async () => {
    const first = await registerAndLogin(server, 'changer@example.com');
    const second = (await server.request('POST', '/api/auth/login', { json: { email: 'changer@example.com', password: goodPassword } })).body;
    const missing = await server.request('PUT', '/api/auth/account', { token: first.accessToken, json: { password: 'Another-Pass-77' } });
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0].field).toBe('currentPassword');
    const wrong = await server.request('PUT', '/api/auth/account', { token: first.accessToken, json: { currentPassword: 'nope', password: 'Another-Pass-77' } });
    expect(wrong.status).toBe(401);
    const weak = await server.request('PUT', '/api/auth/account', { token: first.accessToken, json: { currentPassword: goodPassword, password: 'short' } });
    expect(weak.status).toBe(400);
    expect(weak.body.code).toBe('password-policy');
    const ok = await server.request('PUT', '/api/auth/account', { token: first.accessToken, json: { currentPassword: goodPassword, password: 'Another-Pass-77' } });
    expect(ok.status).toBe(204);
    expect((await server.request('GET', '/api/auth/account', { token: first.accessToken })).status).toBe(200);
    expect((await server.request('GET', '/api/auth/account', { token: second.accessToken })).status).toBe(401);
    expect((await server.request('POST', '/api/auth/login', { json: { email: 'changer@example.com', password: goodPassword } })).status).toBe(401);
    expect((await server.request('POST', '/api/auth/login', { json: { email: 'changer@example.com', password: 'Another-Pass-77' } })).status).toBe(200);
  });

  it('resets a forgotten password through the e-mailed link: single use, ends every session', async () => {
    const session = await registerAndLogin(server, 'forgot@example.com');
    const unknown = await server.request('POST', '/api/auth/forgot-password', { json: { email: 'nobody@example.com' } });
    const known = await server.request('POST', '/api/auth/forgot-password', { json: { email: 'forgot@example.com' } });
    expect([unknown.status, known.status]).toEqual([202, 202]);
    expect(unknown.text).toBe(known.text);
    const mail = await server.smtp.waitFor((m) => m.to.includes('forgot@example.com') && m.subject.toLowerCase().includes('reset'));
    const link = server.smtp.linkIn(mail, '/auth/password-reset/');
    const form = await fetch(link);
    expect(await form.text()).toContain('<form method="post">');

    const weak = await server.request('POST', '/api/auth/reset-password', { json: { token: link, password: 'weak' } });
    expect(weak.body.code).toBe('password-policy');
    const reset = await server.request('POST', '/api/auth/reset-password', { json: { token: link, password: 'Brand-New-Pass-1' } });
    expect(reset.status).toBe(204);
    const again = await server.request('POST', '/api/auth/reset-password', { json: { token: link, password: 'Brand-New-Pass-2' } });
    expect(again.status).toBe(400);
    expect(again.body.errors[0].field).toBe('token');
    expect((await server.request('GET', '/api/auth/account', { token: session.accessToken })).status).toBe(401);
    expect((await server.request('POST', '/api/auth/login', { json: { email: 'forgot@example.com', password: 'Brand-New-Pass-1' } })).status).toBe(200);
  });

  it('expires reset links after password.resetTokenTtl', async () => {
    await registerAndLogin(server, 'late@example.com');
    await server.request('POST', '/api/auth/forgot-password', { json: { email: 'late@example.com' } });
    const mail = await server.smtp.waitFor((m) => m.to.includes('late@example.com') && m.subject.toLowerCase().includes('reset'));
    server.clock.advance(24 * hour + 1);
    const answer = await server.request('POST', '/api/auth/reset-password', { json: { token: server.smtp.linkIn(mail, '/auth/password-reset/'), password: 'Brand-New-Pass-1' } });
    expect(answer.status).toBe(400);
  });

  it('resets through the hosted form too', async () => {
    await registerAndLogin(server, 'formreset@example.com');
    await server.request('POST', '/api/auth/forgot-password', { json: { email: 'formreset@example.com' } });
    const mail = await server.smtp.waitFor((m) => m.to.includes('formreset@example.com') && m.subject.toLowerCase().includes('reset'));
    const link = server.smtp.linkIn(mail, '/auth/password-reset/');
    // The form page sets the form cookie (__Host- prefixed, as cookies are Secure) and carries the matching form_token (double-submit CSRF token).
    const page = await fetch(link);
    const cookie = page.headers.getSetCookie().find((c) => c.startsWith('__Host-gh_form='))!.split(';')[0]!;
    const form_token = /name="form_token" value="([^"]+)"/.exec(await page.text())![1]!;
    const post = (password: string) =>
      fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie }, body: new URLSearchParams({ password, passwordRepeat: password, form_token }) });
    const weak = await post('weak');
    expect(weak.status).toBe(400);
    expect(await weak.text()).toContain('at least 10 characters');
    expect((await post('Form-Reset-Pass-9')).status).toBe(200);
    expect((await server.request('POST', '/api/auth/login', { json: { email: 'formreset@example.com', password: 'Form-Reset-Pass-9' } })).status).toBe(200);
  });

  it('bootstraps the admin from GATEHOUSE_ADMIN_PASSWORD, who updates accounts through /api/auth/admin/account', async () => {
    const admin = await server.request('POST', '/api/auth/login', { json: { username: 'admin', password: 'bootstrap-pw' } });
    expect(admin.status).toBe(200);
    const adminView = await server.request('GET', '/api/auth/account', { token: admin.body.accessToken });
    expect(adminView.body.roles).toEqual(['user', 'sysadmin']);

    const user = await registerAndLogin(server, 'managed@example.com');
    const forbidden = await server.request('PUT', '/api/auth/admin/account', { token: user.accessToken, json: { id: user.userId, confirmed: false } });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('forbidden');

    const updated = await server.request('PUT', '/api/auth/admin/account', {
      token: admin.body.accessToken,
      json: { username: 'managed@example.com', email: 'managed2@example.com', password: 'Admin-Set-Pass-5', roles: ['admin'] },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ email: 'managed2@example.com', roles: ['user', 'admin'] });
    // The admin's password change ended the user's sessions; the new password works.
    expect((await server.request('GET', '/api/auth/account', { token: user.accessToken })).status).toBe(401);
    const relogin = await server.request('POST', '/api/auth/login', { json: { email: 'managed2@example.com', password: 'Admin-Set-Pass-5' } });
    expect(relogin.status).toBe(200);
    // The new admin may manage accounts but may not hand out sysadmin.
    const escalate = await server.request('PUT', '/api/auth/admin/account', { token: relogin.body.accessToken, json: { id: user.userId, roles: ['admin', 'sysadmin'] } });
    expect(escalate.status).toBe(403);
  });

  it('confirms by token through POST /api/auth/account/confirm, once', async () => {
    await server.request('POST', '/api/auth/register', { json: { email: 'apiconfirm@example.com', password: goodPassword } });
    const mail = await server.smtp.waitFor((m) => m.to.includes('apiconfirm@example.com'));
    const token = server.smtp.linkIn(mail, '/auth/confirm/').split('/').pop()!;
    const first = await server.request('POST', '/api/auth/account/confirm', { json: { token } });
    expect(first.status).toBe(200);
    expect(first.body.confirmed).toBe(true);
    const second = await server.request('POST', '/api/auth/account/confirm', { json: { token } });
    expect(second.status).toBe(400);
  });

  it('refuses duplicate registrations with 409 naming the field', async () => {
    const duplicate = await server.request('POST', '/api/auth/register', { json: { username: 'ALICE', email: 'other@example.com', password: goodPassword } });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.errors[0].field).toBe('username');
    const sameEmail = await server.request('POST', '/api/auth/register', { json: { email: 'Alice@Example.com', password: goodPassword } });
    expect(sameEmail.status).toBe(409);
    expect(sameEmail.body.errors[0].field).toBe('email');
  });

  it('answers unknown accounts and wrong passwords alike', async () => {
    const unknown = await server.request('POST', '/api/auth/login', { json: { username: 'ghost', password: 'whatever' } });
    const wrong = await server.request('POST', '/api/auth/login', { json: { username: 'alice', password: 'whatever' } });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
    expect(unknown.headers.get('x-error-code')).toBe('invalid-credentials');
  });

  it('verifies an imported bcrypt hash and re-hashes it with argon2id on login', async () => {
    const userId = (await registerAndLogin(server, 'legacy@example.com')).userId;
    const db = server.app.services.database.db;
    await db.updateTable('credentials').set({ secret_hash: await bcryptHash('Legacy-Pass-123', 4) }).where('account_id', '=', userId).execute();
    const login = await server.request('POST', '/api/auth/login', { json: { email: 'legacy@example.com', password: 'Legacy-Pass-123' } });
    expect(login.status).toBe(200);
    const stored = await db.selectFrom('credentials').select('secret_hash').where('account_id', '=', userId).executeTakeFirstOrThrow();
    expect(stored.secret_hash).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
  });
});

describe.each(dialects)('signup options on %s', (dialect) => {
  it('confirms at once with signup.confirmationKey, and not with a wrong key', async () => {
    const server = await startServer(dialect, { config: { signup: { confirmationKey: 'let-me-in-for-tests' } } });
    try {
      const keyed = await server.request('POST', '/api/auth/register', { json: { email: 'k@example.com', password: goodPassword, confirmationKey: 'let-me-in-for-tests' } });
      expect(keyed.body.confirmed).toBe(true);
      const wrong = await server.request('POST', '/api/auth/register', { json: { email: 'w@example.com', password: goodPassword, confirmationKey: 'guess' } });
      expect(wrong.body.confirmed).toBe(false);
      expect((await server.request('POST', '/api/auth/login', { json: { email: 'k@example.com', password: goodPassword } })).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('lets unconfirmed accounts log in with signup.alwaysConfirm and sends no mail', async () => {
    const server = await startServer(dialect, { config: { signup: { alwaysConfirm: true } } });
    try {
      const registered = await server.request('POST', '/api/auth/register', { json: { email: 'a@example.com', password: goodPassword } });
      expect(registered.body.confirmed).toBe(true);
      expect((await server.request('POST', '/api/auth/login', { json: { email: 'a@example.com', password: goodPassword } })).status).toBe(200);
      expect(server.smtp.messages).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  it('honours admin.passwordOverride without persisting it, and leaves an admin without password unable to log in', async () => {
    const server = await startServer(dialect, { config: { admin: { passwordOverride: 'temporary-override' } } });
    try {
      expect((await server.request('POST', '/api/auth/login', { json: { username: 'admin', password: 'temporary-override' } })).status).toBe(200);
      const stored = await server.app.services.database.db.selectFrom('credentials').selectAll().execute();
      expect(stored.filter((c) => c.type === 'password')).toHaveLength(0);
      await server.stop();
      const restarted = await startServer(dialect, { database: server.database, smtp: server.smtp });
      try {
        expect((await restarted.request('POST', '/api/auth/login', { json: { username: 'admin', password: 'temporary-override' } })).status).toBe(401);
      } finally {
        await restarted.close();
      }
    } finally {
      await server.close();
    }
  });

  it('keeps sessions and the signing key across a restart', async () => {
    const first = await startServer(dialect, { config: { signup: { alwaysConfirm: true } } });
    let second: TestServer | undefined;
    try {
      await first.request('POST', '/api/auth/register', { json: { email: 'r@example.com', password: goodPassword } });
      const token = (await first.request('POST', '/api/auth/login', { json: { email: 'r@example.com', password: goodPassword } })).body;
      const jwks = (await first.request('GET', '/.well-known/jwks.json')).body;
      await first.stop();
      second = await startServer(dialect, { database: first.database, smtp: first.smtp, clock: first.clock });
      expect((await second.request('GET', '/.well-known/jwks.json')).body).toEqual(jwks);
      expect((await second.request('GET', '/api/auth/account', { token: token.accessToken })).status).toBe(200);
      expect((await second.request('POST', '/api/auth/refresh', { json: { refreshToken: token.refreshToken } })).status).toBe(200);
    } finally {
      await second?.close();
      await first.close();
    }
  });
});
