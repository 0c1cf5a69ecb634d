import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from './helpers/browser.js';
import { expectProblem } from './helpers/groups.js';
import { accountIdOf, startConsoleServer, type ConsoleCast } from './helpers/admin-console.js';
import { goodPassword, type Answer } from './helpers/server.js';

/*
 * The console's bad input and odd callers, over HTTP (the Chromium suites walk the pages): every malformed field is a
 * 400 naming it — a page for a browser, problem+json for anyone else — and changes nothing; a caller without a cookie
 * session, or with one but from no origin of ours, changes nothing either.
 */
const formTokenOf = (page: Answer) => /name="form_token" value="([^"]+)"/.exec(page.text)?.[1] ?? '';

describe('admin console: bad input and odd callers', () => {
  let cast: ConsoleCast;
  /** Carol (role admin), signed in to the console through its sign-in form. */
  let carol: Browser;
  let csrf: string;
  let victimId: string;

  const consoleTokenIn = (page: Answer) => /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';

  beforeAll(async () => {
    cast = await startConsoleServer('sqlite');
    carol = new Browser(cast.server);
    const signInPage = await carol.request('GET', '/admin/sign-in');
    const signedIn = await carol.request('POST', '/admin/sign-in', { form: { login: cast.carol.email, password: goodPassword, form_token: formTokenOf(signInPage) } });
    expect(signedIn.status, signedIn.text).toBe(303);
    expect(signedIn.headers.get('location')).toBe('/admin');
    csrf = consoleTokenIn(await carol.request('GET', '/admin'));
    expect(csrf).not.toBe('');
    victimId = cast.alice.userId;
  });
  afterAll(async () => {
    await cast?.server.close();
  });
  const html = { accept: 'text/html' };
  const stillThere = async () => expect(await accountIdOf(cast.server, cast.alice.email)).toBe(victimId);

  it('names the malformed path and query fields, as problem+json to an API caller and as a page to a browser', async () => {
    expectProblem(await carol.request('GET', '/admin/accounts/not-a-uuid'), 400, 'invalid-request', ['id']);
    expectProblem(await carol.request('GET', `/admin/accounts?q=${encodeURIComponent('a\u0000b')}`), 400, 'invalid-request', ['q']);
    expectProblem(await carol.request('GET', `/admin/accounts?q=${'x'.repeat(255)}`), 400, 'invalid-request', ['q']);
    expectProblem(await carol.request('GET', '/admin/accounts?confirmed=maybe'), 400, 'invalid-request', ['confirmed']);
    expectProblem(await carol.request('GET', '/admin/accounts?mfa=maybe'), 400, 'invalid-request', ['mfa']);
    expectProblem(await carol.request('GET', '/admin/accounts?mfa=yes&mfa=no'), 400, 'invalid-request', ['mfa']);
    expectProblem(await carol.request('GET', '/admin/accounts?role=user'), 400, 'invalid-request', ['role']);
    expectProblem(await carol.request('GET', '/admin/accounts?after=%2Fetc%2Fpasswd'), 400, 'invalid-request', ['after']);
    expectProblem(await carol.request('GET', `/admin/accounts/${victimId}?done=hacked`), 400, 'invalid-request', ['done']);
    const page = await carol.request('GET', '/admin/accounts/not-a-uuid', { headers: html });
    expect(page.status).toBe(400);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.text).toContain('These fields are not valid: id.');
  });

  it('treats injection strings in the search as text: no match, no error, escaped on the page', async () => {
    for (const q of ["'; drop table accounts; --", "' or '1'='1", '<script>alert(1)</script>', '\\%']) {
      const page = await carol.request('GET', `/admin/accounts?q=${encodeURIComponent(q)}`, { headers: html });
      expect(page.status, q).toBe(200);
      expect(page.text, q).toContain('No account matches.');
      expect(page.text, q).not.toContain('<script>alert(1)</script>');
    }
    await stillThere();
  });

  it('refuses malformed form posts with a 400 naming the field, and changes nothing', async () => {
    const post = (path: string, form: Record<string, string>) => carol.request('POST', `/admin/accounts/${victimId}/${path}`, { form: { csrf, ...form } });
    expectProblem(await post('delete', { confirmation: cast.alice.email, admin: 'true' }), 400, 'invalid-request', ['admin']);
    expectProblem(await post('delete', { confirmation: 'x'.repeat(255) }), 400, 'invalid-request', ['confirmation']);
    expectProblem(await post('delete', {}), 400, 'invalid-request', ['confirmation']);
    expectProblem(await post('sessions/end', { session: 'not-a-uuid' }), 400, 'invalid-request', ['session']);
    expectProblem(await post('confirm', { confirmed: 'false' }), 400, 'invalid-request', ['confirmed']);
    const flood = await carol.request('POST', `/admin/accounts/${victimId}/delete`, { form: { csrf, confirmation: cast.alice.email, pad: 'x'.repeat(20_000) } });
    expect(flood.status).toBe(413);
    await stillThere();
  });

  it('names bad group input too, and refuses a group post without the form token', async () => {
    const groupsBefore = (await cast.server.request('GET', '/groups', { token: cast.sysToken })).body.total;
    expectProblem(await carol.request('GET', '/admin/groups/Not_A_Group!'), 400, 'invalid-request', ['id']);
    expectProblem(await carol.request('GET', '/admin/groups?page=0'), 400, 'invalid-request', ['page']);
    expectProblem(await carol.request('POST', '/admin/groups', { form: { name: 'x', permissions: 'accounts:read', intent: 'save' } }), 403, 'forbidden');
    const extra = await carol.request('POST', '/admin/groups', { form: { csrf, name: 'x', permissions: 'accounts:read', intent: 'save', builtin: '1' }, headers: html });
    expect(extra.status).toBe(400);
    expect(extra.text).toContain('These fields are not valid: builtin.');
    const intent = await carol.request('POST', '/admin/groups', { form: { csrf, name: 'x', permissions: '', intent: 'drop' }, headers: html });
    expect(intent.status).toBe(400);
    expectProblem(await carol.request('POST', `/admin/groups/${cast.readersId}/members`, { form: { csrf, account: 'x'.repeat(255) } }), 400, 'invalid-request', ['account']);
    expectProblem(await carol.request('POST', `/admin/groups/${cast.readersId}/members/remove`, { form: { csrf, account: 'not-a-uuid' } }), 400, 'invalid-request', ['account']);
    expect((await cast.server.request('GET', '/groups', { token: cast.sysToken })).body.total).toBe(groupsBefore);
  });

  it('answers a session of another account with not-found, like the JSON route', async () => {
    const [carolsSession] = await cast.server.app.services.sessions.listLive(cast.carol.userId);
    const answer = await carol.request('POST', `/admin/accounts/${victimId}/sessions/end`, { form: { csrf, session: carolsSession!.id } });
    expectProblem(answer, 404, 'not-found');
    expect((await cast.server.app.services.sessions.listLive(cast.carol.userId)).length).toBeGreaterThan(0);
  });

  it('refuses a post that carries the cookie but no Origin of ours (a stolen cookie replayed by a script)', async () => {
    const noOrigin = new Browser(cast.server, { origin: null });
    for (const [name, cookie] of carol.cookies) noOrigin.cookies.set(name, cookie);
    expectProblem(await noOrigin.request('POST', `/admin/accounts/${victimId}/delete`, { form: { csrf, confirmation: cast.alice.email } }), 403, 'forbidden');
    const foreign = new Browser(cast.server, { origin: 'http://evil.example' });
    for (const [name, cookie] of carol.cookies) foreign.cookies.set(name, cookie);
    expectProblem(await foreign.request('POST', `/admin/accounts/${victimId}/delete`, { form: { csrf, confirmation: cast.alice.email } }), 403, 'forbidden');
    await stillThere();
  });

  it('is for cookie sessions only: a guest is sent to sign in (GET) or refused 401 (POST); a bearer token has the JSON API', async () => {
    const guest = await cast.server.request('GET', '/admin/accounts');
    expect(guest.status).toBe(303);
    expect(guest.headers.get('location')).toBe('/admin/sign-in');
    const guestPost = await cast.server.request('POST', `/admin/accounts/${victimId}/delete`, { body: `confirmation=${encodeURIComponent(cast.alice.email)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expectProblem(guestPost, 401, 'unauthorized');
    expect(guestPost.headers.get('x-error-code')).toBe('unauthorized');
    const bearer = await cast.server.request('GET', '/admin', { token: cast.sysToken });
    expect(bearer.status).toBe(303);
    const bearerPost = await cast.server.request('POST', `/admin/accounts/${victimId}/delete`, { token: cast.sysToken, body: `confirmation=${encodeURIComponent(cast.alice.email)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expectProblem(bearerPost, 401, 'unauthorized');
    await stillThere();
  });

  it('keeps the sign-in under the login-CSRF rule and names its empty fields', async () => {
    const stranger = new Browser(cast.server, { origin: 'http://evil.example' });
    const forged = await stranger.request('POST', '/admin/sign-in', { form: { login: cast.carol.email, password: goodPassword }, headers: html });
    expect(forged.status).toBe(403);
    expect(forged.text).toContain('This form expired.');
    expect(stranger.cookies.has(cast.server.config.cookie.name)).toBe(false);
    const person = new Browser(cast.server);
    const token = formTokenOf(await person.request('GET', '/admin/sign-in'));
    const empty = await person.request('POST', '/admin/sign-in', { form: { login: '', password: '', form_token: token } });
    expect(empty.status).toBe(400);
    expect(empty.text).toContain('Enter your e-mail or user name.');
    expect(empty.text).toContain('Enter your password.');
  });
});

describe('admin console: the sign-in spends the address\'s login budget', () => {
  let cast: ConsoleCast;
  beforeAll(async () => {
    cast = await startConsoleServer('sqlite', { config: { rateLimit: { enabled: true, login: 6 } } }, 'rl');
  });
  afterAll(async () => {
    await cast?.server.close();
  });

  it('answers the attempt past rateLimit.login with 429 and Retry-After, on the password and the second step alike', async () => {
    const person = new Browser(cast.server);
    const token = formTokenOf(await person.request('GET', '/admin/sign-in'));
    // startConsoleServer's own API logins spent some of the budget; spend the rest on wrong passwords.
    let answer: Answer;
    let tries = 0;
    do {
      answer = await person.request('POST', '/admin/sign-in', { form: { login: cast.carol.email, password: 'wrong', form_token: token }, headers: { accept: 'text/html' } });
      tries++;
    } while (answer.status === 401 && tries < 10);
    expect(answer.status, answer.text).toBe(429);
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(answer.text).toContain('Too many attempts from your address.');
    const second = await person.request('POST', '/admin/sign-in/mfa', { form: { mfaToken: 'x', method: 'totp', code: '123456', form_token: token } });
    expectProblem(second, 429, 'rate-limited');
  });
});
