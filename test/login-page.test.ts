import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from './helpers/browser.js';
import { dialects, goodPassword, registerAndLogin, startServer, type TestServer } from './helpers/server.js';

const clients = [
  { clientID: 'query-app', callbackURL: 'https://app.example/callback', config: { tokenMethod: 'query' } },
  { clientID: 'cookie-app', callbackURL: 'https://app.example/cookie', config: { tokenMethod: 'cookie' } },
  { clientID: 'body-app', callbackURL: 'https://app.example/body', config: { tokenMethod: 'body' } },
  { clientID: 'sso-only', callbackURL: 'https://sso.example/cb', config: { tokenMethod: 'query', disableStrategies: ['password'] } },
  { clientID: 'no-google', callbackURL: 'https://app.example/callback', config: { tokenMethod: 'query', disableStrategies: ['google', 'oidc:corp'] } },
];
const providers = {
  google: { clientId: 'google-client', clientSecret: 'google-secret' },
  oidc: [
    { id: 'corp', name: 'Corp SSO', issuer: 'https://idp.corp.example', clientId: 'c', clientSecret: 's' },
    { id: 'partner', name: 'Partner <ID>', issuer: 'https://idp.partner.example', clientId: 'c', clientSecret: 's' },
  ],
};

/** Opens a hosted form like a browser (which keeps the form cookie the page sets) and answers its form token. */
async function formToken(browser: Browser, path: string): Promise<string> {
  const page = await browser.request('GET', path);
  const token = /name="form_token" value="([^"]+)"/.exec(page.text)?.[1];
  if (!token) throw new Error(`no form token on ${path} (${page.status})`);
  return token;
}

/** A form post from the page at `path` (GET first, then post with its token). */
async function postForm(browser: Browser, path: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  const form_token = await formToken(browser, path);
  return browser.request('POST', path, { form: { ...form, form_token }, headers });
}

describe.each(dialects)('hosted login /auth/login?clientID= on %s', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect, { config: { clients, providers } });
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
    const answer = await postForm(browser, '/auth/login?clientID=query-app', { email: 'hosted@example.com', password: goodPassword });
    expect(answer.status).toBe(303);
    const location = new URL(answer.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe('https://app.example/callback');
    const token = location.searchParams.get('token')!;
    expect((await server.request('GET', '/auth/user', { token })).body.user).toBe('hosted@example.com');
  });

  it('delivers the token as the auth cookie for tokenMethod cookie, which then authenticates', async () => {
    const browser = new Browser(server);
    const answer = await postForm(browser, '/auth/login?clientID=cookie-app', { email: 'hosted@example.com', password: goodPassword });
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
    const form = await postForm(new Browser(server), '/auth/login?clientID=query-app', { email: 'hosted@example.com', password: 'wrong' });
    expect(form.status).toBe(401);
    expect(form.text).toContain('Wrong e-mail or password.');
    expect(form.text).toContain('value="hosted@example.com"');
    expect(form.text).not.toContain('value="wrong"');
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

  it('labels every input, puts an error next to its field, and refills what was typed (escaped)', async () => {
    const page = await server.request('GET', '/auth/login?clientID=query-app');
    for (const id of ['email', 'password', 'reset-email']) expect(page.text).toContain(`<label for="${id}">`);
    expect(page.text).toMatch(/<input id="email" name="email"/);
    expect(page.text).toMatch(/<input id="reset-email" name="email" type="email"/);
    expect(page.text).toContain('<form method="get" action="/auth/password-reset"><input type="hidden" name="clientID" value="query-app">');
    expect(page.text).toContain('href="/auth/register?clientID=query-app"');

    const empty = await postForm(new Browser(server), '/auth/login?clientID=query-app', { email: '"><b>x</b>', password: '' });
    expect(empty.status).toBe(400);
    expect(empty.headers.get('content-type')).toContain('text/html');
    expect(empty.text).toMatch(/<input id="password" name="password" type="password" autocomplete="current-password" required aria-invalid="true" autofocus aria-describedby="password-error">\s*<span id="password-error" class="field-error">Enter your password.<\/span>/);
    expect(empty.text).toContain('value="&quot;&gt;&lt;b&gt;x&lt;/b&gt;"');
    expect(empty.text).not.toContain('<b>x</b>');
  });

  it('refuses a foreign form post without the page\'s form token (403, no login), keeps JSON posts working', async () => {
    // A page of another site: its posts carry its Origin (login CSRF, test/login-csrf.test.ts has every case).
    const browser = new Browser(server, { origin: 'https://evil.example' });
    const page = await browser.request('GET', '/auth/login?clientID=query-app');
    const setCookie = browser.lastSetCookies.find((line) => line.startsWith('__Host-gh_form='))!;
    expect(setCookie).toMatch(/^__Host-gh_form=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toMatch(/Max-Age=3600/);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(/; Secure/i.test(setCookie)).toBe(server.config.cookie.secure);
    const token = /name="form_token" value="([^"]+)"/.exec(page.text)![1]!;
    // A second tab keeps the same cookie, so the first tab's form still works.
    await browser.request('GET', '/auth/register?clientID=query-app');
    expect(await formToken(browser, '/auth/login?clientID=query-app')).toBe(token);

    const valid = { email: 'hosted@example.com', password: goodPassword };
    const refusals = [
      await browser.request('POST', '/auth/login?clientID=query-app', { form: valid }),
      await browser.request('POST', '/auth/login?clientID=query-app', { form: { ...valid, form_token: `${token.slice(0, -2)}AA` } }),
      await browser.request('POST', '/auth/login?clientID=query-app', { form: { ...valid, form_token: '' } }),
      // The right token without its cookie: a forger cannot make the browser send the SameSite=Strict cookie.
      await new Browser(server, { origin: 'null' }).request('POST', '/auth/login?clientID=query-app', { form: { ...valid, form_token: token } }),
    ];
    for (const answer of refusals) {
      expect(answer.status).toBe(403);
      expect(answer.headers.get('location')).toBeNull();
      expect(answer.headers.get('content-type')).toContain('text/html');
      expect(answer.text).toContain('This form expired. Please try again.');
      expect(answer.text).toContain('name="form_token"');
    }
    expect((await browser.request('POST', '/auth/login?clientID=query-app', { form: { ...valid, form_token: token } })).status).toBe(303);
    expect((await server.request('POST', '/auth/login?clientID=body-app', { json: valid })).status).toBe(200);
    expect((await server.request('POST', '/auth/login?clientID=body-app', { json: { ...valid, form_token: token } })).status).toBe(400);
  });

  it('speaks German to a German browser: page, labels and errors', async () => {
    const de = { 'accept-language': 'de-AT,de;q=0.9,en;q=0.5' };
    const page = await new Browser(server).request('GET', '/auth/login?clientID=query-app', { headers: de });
    expect(page.text).toContain('<html lang="de">');
    expect(page.text).toContain('<label for="email">E-Mail oder Benutzername</label>');
    expect(page.text).toContain('<label for="password">Passwort</label>');
    expect(page.text).toContain('Passwort vergessen?');
    const wrong = await postForm(new Browser(server), '/auth/login?clientID=query-app', { email: 'hosted@example.com', password: 'wrong' }, de);
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('E-Mail oder Passwort ist falsch.');
    const english = await server.request('GET', '/auth/login?clientID=query-app', { headers: { 'accept-language': 'fr-FR,en;q=0.1' } });
    expect(english.text).toContain('<html lang="en">');
  });

  it('offers only the sign-in providers the client has not disabled', async () => {
    const all = await server.request('GET', '/auth/login?clientID=query-app');
    expect(all.text).toContain('href="/auth/google?clientID=query-app">Continue with Google</a>');
    expect(all.text).toContain('href="/auth/oidc/corp?clientID=query-app">Continue with Corp SSO</a>');
    expect(all.text).toContain('Continue with Partner &lt;ID&gt;');
    expect(all.text).not.toContain('/auth/facebook');
    const some = await server.request('GET', '/auth/login?clientID=no-google');
    expect(some.text).not.toContain('/auth/google');
    expect(some.text).not.toContain('/auth/oidc/corp');
    expect(some.text).toContain('href="/auth/oidc/partner?clientID=no-google"');
    expect(some.text).toContain('name="password"');
    const sso = await server.request('GET', '/auth/login?clientID=sso-only');
    expect(sso.text).toContain('Signing in with a password is not available for this application.');
    expect(sso.text).not.toContain('/auth/password-reset');
    expect(sso.text).toContain('/auth/google?clientID=sso-only');
  });
});
