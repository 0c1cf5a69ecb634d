import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from './helpers/browser.js';
import { dialects, goodPassword, registerAndLogin, startServer, type Answer, type TestServer } from './helpers/server.js';

/*
 * Seed 000's registration by redirect (`/auth/register?clientID=`), `/auth/email-available` and the hosted
 * password-reset request, end to end over the socket with the SMTP capture.
 */

const clients = [
  { clientID: 'query-app', callbackURL: 'https://app.example/callback', config: { tokenMethod: 'query' } },
  { clientID: 'cookie-app', callbackURL: 'https://app.example/cookie', config: { tokenMethod: 'cookie' } },
  { clientID: 'body-app', callbackURL: 'https://app.example/body', config: { tokenMethod: 'body' } },
  { clientID: 'sso-only', callbackURL: 'https://sso.example/cb', config: { tokenMethod: 'query', disableStrategies: ['password'] } },
];

const injections = [`' OR 1=1 --`, '<script>alert(1)</script>', `x"; DROP TABLE accounts; --`];

/** Opens a hosted form like a browser (which keeps the form cookie the page sets) and answers its form token. */
async function formToken(browser: Browser, path: string, headers: Record<string, string> = {}): Promise<string> {
  const page = await browser.request('GET', path, { headers });
  const token = /name="form_token" value="([^"]+)"/.exec(page.text)?.[1];
  if (!token) throw new Error(`no form token on ${path} (${page.status})`);
  return token;
}

/** A form post from the page at `path` (GET first, then post with its token). */
async function postForm(browser: Browser, path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
  const form_token = await formToken(browser, path, headers);
  return browser.request('POST', path, { form: { ...form, form_token }, headers });
}

function expectProblem(answer: Answer, status: number, code: string, fields: string[] = []): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.body.code, answer.text).toBe(code);
  for (const field of fields) expect(answer.body.errors.map((e: { field: string }) => e.field), answer.text).toContain(field);
}

/** Row counts of every table a registration could write to. */
async function counts(server: TestServer): Promise<Record<string, number>> {
  const db = server.app.services.database.db;
  const result: Record<string, number> = {};
  for (const table of ['accounts', 'credentials', 'sessions', 'one_time_tokens', 'invites'] as const) {
    const row = await db.selectFrom(table).select(db.fn.countAll().as('n')).executeTakeFirstOrThrow();
    result[table] = Number(row.n);
  }
  return result;
}

describe.each(dialects)('hosted registration /auth/register?clientID= on %s', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect, { config: { clients }, env: { GATEHOUSE_ADMIN_PASSWORD: 'bootstrap-pw' } });
  });
  afterAll(async () => server?.close());

  it('renders the form for a registered client; refuses a missing or unknown clientID (400) and a password-less client (403)', async () => {
    const page = await server.request('GET', '/auth/register?clientID=query-app');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.text).toContain('action="/auth/register?clientID=query-app"');
    expect(page.text).toContain('name="email"');
    expect(page.text).toContain('name="password"');
    expect(page.text).not.toContain('name="invite"');
    for (const path of ['/auth/register', '/auth/register?clientID=', '/auth/register?clientID=nope', '/auth/register?clientID=a&clientID=b']) {
      expectProblem(await server.request('GET', path), 400, 'invalid-request', ['clientID']);
    }
    const sso = await server.request('GET', '/auth/register?clientID=sso-only');
    expect(sso.status).toBe(403);
    expect(sso.text).not.toContain('name="password"');
  });

  it('registers from the form, delivers a token at once, mails the confirmation link; password logins wait for it', async () => {
    const email = 'form-signup@example.com';
    const answer = await postForm(new Browser(server), '/auth/register?clientID=query-app', { email, password: goodPassword });
    expect(answer.status, answer.text).toBe(303);
    const location = new URL(answer.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe('https://app.example/callback');
    const token = location.searchParams.get('token')!;
    const account = await server.request('GET', '/api/auth/account', { token });
    expect(account.status).toBe(200);
    expect(account.body).toMatchObject({ email, confirmed: false, roles: ['user'] });

    // Seed 000: the token comes right after registering; a later password login needs the confirmation.
    const early = await server.request('POST', '/auth/login?clientID=body-app', { json: { email, password: goodPassword } });
    expectProblem(early, 403, 'account-not-confirmed');
    const mail = await server.smtp.waitFor((m) => m.to.includes(email) && m.subject.includes('Confirm'));
    const confirmed = await fetch(server.smtp.linkIn(mail, '/auth/confirm/'));
    expect(confirmed.status).toBe(200);
    expect((await server.request('GET', '/api/auth/account', { token })).body.confirmed).toBe(true);
    const later = await server.request('POST', '/auth/login?clientID=body-app', { json: { email, password: goodPassword } });
    expect(later.status, later.text).toBe(200);
  });

  it('answers JSON {token, accountID} for tokenMethod body, and sets the auth cookie for tokenMethod cookie', async () => {
    const json = await server.request('POST', '/auth/register?clientID=body-app', { json: { email: 'json-signup@example.com', password: goodPassword } });
    expect(json.status, json.text).toBe(200);
    expect(Object.keys(json.body).sort()).toEqual(['accountID', 'token']);
    expect((await server.request('GET', '/api/auth/account', { token: json.body.token })).body.id).toBe(json.body.accountID);

    const browser = new Browser(server);
    const cookie = await postForm(browser, '/auth/register?clientID=cookie-app', { email: 'cookie-signup@example.com', password: goodPassword });
    expect(cookie.status, cookie.text).toBe(303);
    expect(cookie.headers.get('location')).toBe('https://app.example/cookie');
    expect((await browser.request('GET', '/auth/user')).body.user).toBe('cookie-signup@example.com');
  });

  it('shows the form again with the reason next to the field, keeping what was typed (never the password), escaped', async () => {
    await registerAndLogin(server, 'taken@example.com');
    const browser = new Browser(server);
    const duplicate = await postForm(browser, '/auth/register?clientID=query-app', { email: 'TAKEN@example.com', password: goodPassword });
    expect(duplicate.status).toBe(409);
    expect(duplicate.headers.get('content-type')).toContain('text/html');
    expect(duplicate.headers.get('location')).toBeNull();
    expect(duplicate.text).toContain('value="TAKEN@example.com"');
    expect(duplicate.text).toMatch(/name="email"[^]*aria-invalid="true"[^]*aria-describedby="email-error">\s*<span id="email-error" class="field-error">The e-mail address is already registered.<\/span>[^]*name="password"/);
    expect(duplicate.text).not.toContain(goodPassword);

    const weak = await postForm(browser, '/auth/register?clientID=query-app', { email: 'weak@example.com', password: 'short' });
    expect(weak.status).toBe(400);
    expect(weak.text).toMatch(/name="password"[^]*The password must be at least 10 characters[^]*The password must contain an uppercase letter/);
    expect(weak.text).toContain('<span id="password-error" class="field-error">The password must be at least 10 characters. The password must contain an uppercase letter. The password must contain a digit.</span>');
    expect(weak.text).toContain('aria-describedby="password-hint password-error"');
    expect(weak.text).not.toContain('value="short"');

    const hostile = '"><script>alert(1)</script>@example.com';
    const xss = await postForm(browser, '/auth/register?clientID=query-app', { email: hostile, password: goodPassword });
    expect(xss.status).toBe(400);
    expect(xss.text).not.toContain('<script>alert(1)</script>');
    expect(xss.text).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;@example.com"');
    expect(xss.text).toMatch(/name="email"[^]*<span id="email-error" class="field-error">The e-mail address is not valid.<\/span>[^]*name="password"/);
  });

  it('refuses a foreign form post without the page\'s form token (403, nothing stored); JSON needs none', async () => {
    const before = await counts(server);
    // A page of another site: its posts carry its Origin (login CSRF, test/login-csrf.test.ts has every case).
    const browser = new Browser(server, { origin: 'https://evil.example' });
    const token = await formToken(browser, '/auth/register?clientID=query-app');
    const form = { email: 'forged@example.com', password: goodPassword };
    for (const answer of [
      await browser.request('POST', '/auth/register?clientID=query-app', { form }),
      await browser.request('POST', '/auth/register?clientID=query-app', { form: { ...form, form_token: 'x'.repeat(43) } }),
      await new Browser(server, { origin: 'null' }).request('POST', '/auth/register?clientID=query-app', { form: { ...form, form_token: token } }),
    ]) {
      expect(answer.status).toBe(403);
      expect(answer.headers.get('location')).toBeNull();
      expect(answer.text).toContain('This form expired. Please try again.');
      expect(answer.text).toContain('name="form_token"');
    }
    expect(await counts(server)).toEqual(before);
    expect((await server.request('GET', '/auth/email-available?email=forged@example.com')).body.available).toBe(true);
  });

  it('speaks German to a German browser, policy errors included', async () => {
    const de = { 'accept-language': 'de' };
    const page = await new Browser(server).request('GET', '/auth/register?clientID=query-app', { headers: de });
    expect(page.text).toContain('<html lang="de">');
    expect(page.text).toContain('<title>Konto erstellen · Gatehouse</title>');
    // The hint lists every rule of the default policy (length range, lower, upper, digit; no symbol).
    expect(page.text).toContain('<div id="password-hint" class="hint">Ihr Passwort braucht:<ul><li>10 bis 2048 Zeichen</li><li>einen Kleinbuchstaben</li><li>einen Großbuchstaben</li><li>eine Ziffer</li></ul></div>');
    const weak = await postForm(new Browser(server), '/auth/register?clientID=query-app', { email: 'schwach@example.com', password: 'kurz' }, de);
    expect(weak.status).toBe(400);
    expect(weak.text).toContain('<span id="password-error" class="field-error">Das Passwort muss mindestens 10 Zeichen lang sein. Das Passwort muss einen Großbuchstaben enthalten. Das Passwort muss eine Ziffer enthalten.</span>');
    const taken = await postForm(new Browser(server), '/auth/register?clientID=query-app', { email: 'taken@example.com', password: goodPassword }, de);
    expect(taken.status).toBe(409);
    expect(taken.text).toContain('Diese E-Mail-Adresse ist bereits registriert.');
    const check = await server.request('GET', '/auth/password-reset?clientID=query-app&email=taken@example.com', { headers: de });
    expect(check.text).toContain('<html lang="de">');
    expect(check.text).toContain('Prüfen Sie Ihre E-Mails');
    expect(check.text).toContain('24 Stunden lang gültig');
  });

  it('answers problem+json to JSON callers: 409 duplicate, password-policy, 403 for a password-less client', async () => {
    expectProblem(await server.request('POST', '/auth/register?clientID=body-app', { json: { email: 'taken@example.com', password: goodPassword } }), 409, 'conflict', ['email']);
    const weak = await server.request('POST', '/auth/register?clientID=body-app', { json: { email: 'weak2@example.com', password: 'short' } });
    expectProblem(weak, 400, 'password-policy');
    expectProblem(await server.request('POST', '/auth/register?clientID=sso-only', { json: { email: 'sso@example.com', password: goodPassword } }), 403, 'login-method-disabled');
    const ssoForm = await new Browser(server).request('POST', '/auth/register?clientID=sso-only', { form: { email: 'sso@example.com', password: goodPassword } });
    expect(ssoForm.status).toBe(403);
    expect(ssoForm.text).toContain('not available for this application');
    expect(ssoForm.text).not.toContain('name="password"');
    expect((await server.request('GET', '/auth/email-available?email=sso@example.com')).body.available).toBe(true);
  });

  it('refuses bad input with a clear problem and stores nothing', async () => {
    const before = await counts(server);
    const valid = { email: 'bad-input@example.com', password: goodPassword };
    const cases: { query?: string; json?: unknown; body?: string; headers?: Record<string, string>; status: number; code: string; fields?: string[] }[] = [
      { query: '', json: valid, status: 400, code: 'invalid-request', fields: ['clientID'] },
      { query: 'clientID=nope', json: valid, status: 400, code: 'invalid-request', fields: ['clientID'] },
      { query: `clientID=${'x'.repeat(200)}`, json: valid, status: 400, code: 'invalid-request', fields: ['clientID'] },
      { json: { password: goodPassword }, status: 400, code: 'invalid-request', fields: ['email'] },
      { json: { email: valid.email }, status: 400, code: 'invalid-request', fields: ['password'] },
      { json: { email: 123, password: goodPassword }, status: 400, code: 'invalid-request', fields: ['email'] },
      { json: { email: valid.email, password: ['x'] }, status: 400, code: 'invalid-request', fields: ['password'] },
      { json: { ...valid, admin: true }, status: 400, code: 'invalid-request', fields: ['admin'] },
      { json: { ...valid, username: 'someone' }, status: 400, code: 'invalid-request', fields: ['username'] },
      { json: { ...valid, invite: 42 }, status: 400, code: 'invalid-request', fields: ['invite'] },
      { json: { ...valid, invite: 'a b' }, status: 400, code: 'invalid-request', fields: ['invite'] },
      { json: { ...valid, email: 'not-an-address' }, status: 400, code: 'invalid-request', fields: ['email'] },
      { json: { ...valid, email: 'nul\u0000@example.com' }, status: 400, code: 'invalid-request', fields: ['email'] },
      { json: { ...valid, email: `${'a'.repeat(250)}@example.com` }, status: 400, code: 'invalid-request', fields: ['email'] },
      ...injections.map((email) => ({ json: { ...valid, email }, status: 400, code: 'invalid-request', fields: ['email'] })),
      { json: { ...valid, password: 'weak' }, status: 400, code: 'password-policy' },
      { json: { ...valid, password: `Aa1${'a'.repeat(2046)}` }, status: 400, code: 'password-policy' },
      { json: null, status: 400, code: 'invalid-request' },
      { json: [valid], status: 400, code: 'invalid-request' },
      { body: '{"email":', headers: { 'content-type': 'application/json' }, status: 400, code: 'invalid-request', fields: ['body'] },
      { body: JSON.stringify(valid), headers: { 'content-type': 'text/plain' }, status: 400, code: 'invalid-request' },
      { body: '<a/>', headers: { 'content-type': 'application/xml' }, status: 415, code: 'unsupported-media-type' },
      { body: JSON.stringify({ ...valid, password: 'A'.repeat(70 * 1024) }), headers: { 'content-type': 'application/json' }, status: 413, code: 'payload-too-large' },
    ];
    for (const c of cases) {
      const path = `/auth/register?${c.query ?? 'clientID=body-app'}`;
      const answer = await server.request('POST', path, { json: c.json, body: c.body, headers: c.headers });
      expectProblem(answer, c.status, c.code, c.fields);
    }
    // A form post of the same garbage gets the page again, not a 500.
    const form = await postForm(new Browser(server), '/auth/register?clientID=query-app', { email: "' OR 1=1 --", password: goodPassword, extra: 'x' });
    expect(form.status).toBe(400);
    expect(form.text).toContain('extra: is not allowed');
    expect(await counts(server)).toEqual(before);
  });

  it('ignores an invite when registration is open, so the code is not spent', async () => {
    const admin = await server.request('POST', '/api/auth/login', { json: { username: 'admin', password: 'bootstrap-pw' } });
    const created = await server.request('POST', '/invites', { token: admin.body.accessToken, json: { count: 1 } });
    expect(created.status, created.text).toBe(201);
    const answer = await server.request('POST', '/auth/register?clientID=body-app', { json: { email: 'with-invite@example.com', password: goodPassword, invite: created.body.codes[0] } });
    expect(answer.status, answer.text).toBe(200);
    const list = await server.request('GET', '/invites', { token: admin.body.accessToken });
    expect(list.body.total).toBe(1);
  });
});

describe.each(dialects)('GET /auth/email-available and GET /auth/password-reset on %s', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect, { config: { clients } });
    await registerAndLogin(server, 'known@example.com');
  });
  afterAll(async () => server?.close());

  it('tells whether an address can be registered, case-insensitively, and refuses malformed ones', async () => {
    const free = await server.request('GET', '/auth/email-available?email=fresh@example.com');
    expect(free.status).toBe(200);
    expect(free.body).toEqual({ available: true });
    expect((await server.request('GET', '/auth/email-available?email=KNOWN@Example.com')).body).toEqual({ available: false });
    for (const query of ['', '?email=', '?email=nope', '?email=a%00b@example.com', `?email=${encodeURIComponent("' OR 1=1 --")}`, `?email=${'a'.repeat(300)}@x.de`]) {
      expectProblem(await server.request('GET', `/auth/email-available${query}`), 400, 'invalid-request', ['email']);
    }
  });

  it('mails a reset link and renders "check your e-mail"; the link sets a new password once', async () => {
    const page = await server.request('GET', '/auth/password-reset?clientID=query-app&email=known@example.com');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).toContain('Check your e-mail');
    const mail = await server.smtp.waitFor((m) => m.to.includes('known@example.com') && m.subject.toLowerCase().includes('reset'));
    const link = new URL(server.smtp.linkIn(mail, '/auth/password-reset/'));
    const browser = new Browser(server);
    expect((await browser.request('GET', link.pathname)).status).toBe(200);
    const newPassword = 'Brand-New-Pass-9';
    const differ = await postForm(browser, link.pathname, { password: newPassword, passwordRepeat: 'Something-Else-1' });
    expect(differ.status).toBe(400);
    expect(differ.text).toContain('<span id="passwordRepeat-error" class="field-error">The two passwords differ.</span>');
    const weak = await postForm(browser, link.pathname, { password: 'weak', passwordRepeat: 'weak' });
    expect(weak.status).toBe(400);
    expect(weak.text).toMatch(/<span id="password-error" class="field-error">The password must be at least 10 characters\./);
    // Without the page's token the form is refused and the link stays unused.
    const forged = await browser.request('POST', link.pathname, { form: { password: 'Forged-Pass-123', passwordRepeat: 'Forged-Pass-123', form_token: 'forged' } });
    expect(forged.status).toBe(403);
    expect(forged.text).toContain('This form expired. Please try again.');
    expect((await new Browser(server).request('POST', link.pathname, { form: { password: 'Forged-Pass-123', passwordRepeat: 'Forged-Pass-123' } })).status).toBe(403);
    const set = await postForm(browser, link.pathname, { password: newPassword, passwordRepeat: newPassword });
    expect(set.status, set.text).toBe(200);
    expect(set.text).toContain('Your password was changed');
    expect((await server.request('POST', '/api/auth/login', { json: { email: 'known@example.com', password: newPassword } })).status).toBe(200);
    expect((await postForm(browser, link.pathname, { password: 'Other-Pass-123', passwordRepeat: 'Other-Pass-123' })).status).toBe(400);
  });

  it('answers the same page for an unknown address and mails nothing', async () => {
    const strip = (answer: Answer, email: string) => answer.text.replace(email, 'EMAIL');
    const unknown = await server.request('GET', '/auth/password-reset?clientID=query-app&email=nobody@example.com');
    const known = await server.request('GET', '/auth/password-reset?clientID=query-app&email=known@example.com');
    expect(unknown.status).toBe(200);
    expect(strip(unknown, 'nobody@example.com')).toBe(strip(known, 'known@example.com'));
    await server.smtp.waitFor((m) => m.to.includes('known@example.com') && m.subject.toLowerCase().includes('reset') && server.smtp.messages.filter((x) => x.to.includes('known@example.com') && x.subject.toLowerCase().includes('reset')).length >= 2);
    expect(server.smtp.messages.some((m) => m.to.includes('nobody@example.com'))).toBe(false);
  });

  it('needs a registered clientID and a well-formed e-mail', async () => {
    for (const query of ['email=known@example.com', 'clientID=nope&email=known@example.com']) {
      expectProblem(await server.request('GET', `/auth/password-reset?${query}`), 400, 'invalid-request', ['clientID']);
    }
    for (const query of ['clientID=query-app', 'clientID=query-app&email=bad', 'clientID=query-app&email=%3Cscript%3E', 'clientID=query-app&email=a%00@b.de']) {
      expectProblem(await server.request('GET', `/auth/password-reset?${query}`), 400, 'invalid-request', ['email']);
    }
    expectProblem(await server.request('GET', '/auth/password-reset?clientID=sso-only&email=known@example.com'), 403, 'login-method-disabled');
  });
});

describe.each(dialects)('signup.enabled: false on %s', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect, { config: { clients, signup: { enabled: false } } });
  });
  afterAll(async () => server?.close());

  it('closes the page and both registration endpoints (403) and stores nothing', async () => {
    const page = await server.request('GET', '/auth/register?clientID=query-app');
    expect(page.status).toBe(403);
    expect(page.text).toContain('Registration is closed');
    expect(page.text).not.toContain('name="password"');
    expectProblem(await server.request('POST', '/auth/register?clientID=body-app', { json: { email: 'closed@example.com', password: goodPassword } }), 403, 'signup-disabled');
    const form = await new Browser(server).request('POST', '/auth/register?clientID=query-app', { form: { email: 'closed@example.com', password: goodPassword } });
    expect(form.status).toBe(403);
    expect(form.text).toContain('Registration is closed');
    expectProblem(await server.request('POST', '/api/auth/register', { json: { email: 'closed@example.com', password: goodPassword } }), 403, 'signup-disabled');
    expect((await server.request('GET', '/auth/email-available?email=closed@example.com')).body.available).toBe(true);
  });
});
