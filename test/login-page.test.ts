import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from './helpers/browser.js';
import { dialects, goodPassword, registerAndLogin, startServer, type TestServer } from './helpers/server.js';

const clients = [
  { clientID: 'query-app', callbackURL: 'https://app.example/callback', config: { tokenMethod: 'query' } },
  { clientID: 'cookie-app', callbackURL: 'https://app.example/cookie', config: { tokenMethod: 'cookie' } },
  { clientID: 'body-app', callbackURL: 'https://app.example/body', config: { tokenMethod: 'body' } },
  { clientID: 'sso-only', callbackURL: 'https://sso.example/cb', config: { tokenMethod: 'query', disableStrategies: ['password'] } },
];

describe.each(dialects)('hosted login /auth/login?clientID= on %s', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect, { config: { clients } });
    await registerAndLogin(server, 'hosted@example.com');
  });
  afterAll(async () => server?.close());

  it('renders the login form for a registered client and refuses a missing or unknown clientID', async () => {
    const page = await server.request('GET', '/auth/login?clientID=query-app');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).toContain('name="password"');
    expect(page.text).toContain('action="/auth/login?clientID=query-app"');
    for (const path of ['/auth/login', '/auth/login?clientID=nope']) {
      const answer = await server.request('GET', path);
      expect(answer.status).toBe(400);
      expect(answer.body.errors[0].field).toBe('clientID');
    }
    expect((await server.request('GET', '/auth/login?clientID=sso-only')).text).not.toContain('name="password"');
  });

  it('delivers the token in the callback query (303), and the token works', async () => {
    const browser = new Browser(server);
    const answer = await browser.request('POST', '/auth/login?clientID=query-app', { form: { email: 'hosted@example.com', password: goodPassword } });
    expect(answer.status).toBe(303);
    const location = new URL(answer.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe('https://app.example/callback');
    const token = location.searchParams.get('token')!;
    expect((await server.request('GET', '/auth/user', { token })).body.user).toBe('hosted@example.com');
  });

  it('delivers the token as the auth cookie for tokenMethod cookie, which then authenticates', async () => {
    const browser = new Browser(server);
    const answer = await browser.request('POST', '/auth/login?clientID=cookie-app', { form: { email: 'hosted@example.com', password: goodPassword } });
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe('https://app.example/cookie');
    const cookie = browser.cookies.get('auth_token')!;
    expect(cookie.value.split('.')).toHaveLength(3);
    expect(cookie.attributes['max-age']).toBe('3600');
    expect((await browser.request('GET', '/auth/user')).body.user).toBe('hosted@example.com');
  });

  it('answers JSON {token, accountID} for tokenMethod body', async () => {
    const answer = await server.request('POST', '/auth/login?clientID=body-app', { json: { email: 'hosted@example.com', password: goodPassword } });
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body).sort()).toEqual(['accountID', 'token']);
    expect((await server.request('GET', '/api/auth/account', { token: answer.body.token })).body.id).toBe(answer.body.accountID);
  });

  it('shows the form again on a wrong password (401), answers problem+json to JSON callers, and refuses disabled strategies', async () => {
    const form = await new Browser(server).request('POST', '/auth/login?clientID=query-app', { form: { email: 'hosted@example.com', password: 'wrong' } });
    expect(form.status).toBe(401);
    expect(form.text).toContain('Wrong e-mail or password.');
    expect(form.headers.get('location')).toBeNull();
    const json = await server.request('POST', '/auth/login?clientID=query-app', { json: { email: 'hosted@example.com', password: 'wrong' } });
    expect(json.status).toBe(401);
    expect(json.headers.get('x-error-code')).toBe('invalid-credentials');
    const sso = await server.request('POST', '/auth/login?clientID=sso-only', { json: { email: 'hosted@example.com', password: goodPassword } });
    expect(sso.status).toBe(403);
    expect(sso.body.code).toBe('login-method-disabled');
  });

  it('refuses unconfirmed accounts and shares the lockout count with the other password entry points', async () => {
    await server.request('POST', '/api/auth/register', { json: { email: 'pending@example.com', password: goodPassword } });
    const pending = await server.request('POST', '/auth/login?clientID=body-app', { json: { email: 'pending@example.com', password: goodPassword } });
    expect(pending.body.code).toBe('account-not-confirmed');

    await registerAndLogin(server, 'locked@example.com');
    for (let i = 0; i < 3; i++) await server.request('POST', '/auth/login?clientID=body-app', { json: { email: 'locked@example.com', password: 'wrong' } });
    for (let i = 0; i < 2; i++) await server.request('POST', '/api/auth/login', { json: { email: 'locked@example.com', password: 'wrong' } });
    const locked = await server.request('POST', '/auth/login?clientID=body-app', { json: { email: 'locked@example.com', password: goodPassword } });
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe('account-locked');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
