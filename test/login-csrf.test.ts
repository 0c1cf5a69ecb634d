import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from './helpers/browser.js';
import { counts, expectProblem } from './helpers/problems.js';
import { dialects, goodPassword, registerAndLogin, startServer, type Answer, type TestServer } from './helpers/server.js';

/*
 * Login CSRF (CONTRACT §5) on every post that starts a session: `/auth/login?clientID=`, `/auth/register?clientID=`,
 * `/auth/cookie` and `/account/login`. An Origin of our own or of a registered client's callbackURL passes, so does a
 * post without Origin (not a browser) and JSON; any other Origin (`null` included) needs the page's form token.
 */

const clients = [
  { clientID: 'query-app', callbackURL: 'https://app.example/callback', config: { tokenMethod: 'query' } },
  { clientID: 'cookie-app', callbackURL: 'https://cookie.example:8443/cb', config: { tokenMethod: 'cookie' } },
  // Stored as written; its origin is https://body.example.
  { clientID: 'body-app', callbackURL: 'HTTPS://Body.Example:443/body', config: { tokenMethod: 'body' } },
];
const user = 'csrf-victim@example.com';
const login = { email: user, password: goodPassword };
let registered = 0;

/** A door that starts a session: the form it takes, and what success and refusal look like there. */
interface Door {
  path: string;
  form: () => Record<string, string>;
  succeeded: (answer: Answer) => void;
  refused: (answer: Answer) => void;
}

const refusedPage = (answer: Answer) => {
  expect(answer.status, answer.text).toBe(403);
  expect(answer.headers.get('content-type')).toContain('text/html');
  expect(answer.text).toContain('This form expired. Please try again.');
  expect(answer.headers.get('location')).toBeNull();
};
const redirectedWithToken = (answer: Answer) => {
  expect(answer.status, answer.text).toBe(303);
  expect(answer.headers.get('location')).toMatch(/^https:\/\/app\.example\/callback\?token=[\w-]+\.[\w-]+\.[\w-]+$/);
};
const setsAuthCookie = (answer: Answer) => expect(answer.headers.getSetCookie().some((line) => line.startsWith('auth_token='))).toBe(true);

const doors: Record<string, Door> = {
  'POST /auth/login?clientID=': { path: '/auth/login?clientID=query-app', form: () => login, succeeded: redirectedWithToken, refused: refusedPage },
  'POST /auth/register?clientID=': {
    path: '/auth/register?clientID=query-app',
    form: () => ({ email: `csrf-new-${++registered}@example.com`, password: goodPassword }),
    succeeded: redirectedWithToken,
    refused: refusedPage,
  },
  'POST /auth/cookie': {
    path: '/auth/cookie',
    form: () => ({ auth_username: user, auth_password: goodPassword }),
    succeeded: (answer) => {
      expect(answer.status, answer.text).toBe(200);
      expect(answer.body.user).toBe(user);
      setsAuthCookie(answer);
    },
    refused: (answer) => expectProblem(answer, 403, 'forbidden'),
  },
  'POST /account/login': {
    path: '/account/login',
    form: () => ({ login: user, password: goodPassword }),
    succeeded: (answer) => {
      expect(answer.status, answer.text).toBe(303);
      expect(answer.headers.get('location')).toBe('/account');
      setsAuthCookie(answer);
    },
    refused: refusedPage,
  },
};

/** A form post as a browser on `origin` would send it (`undefined`: no Origin header at all, as curl). */
function post(server: TestServer, door: Door, origin: string | undefined, headers: Record<string, string> = {}, form = door.form()): Promise<Answer> {
  return new Browser(server, { origin: origin ?? null }).request('POST', door.path, { form, headers });
}

describe.each(dialects)('login CSRF on %s', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(dialect, { config: { clients } });
    await registerAndLogin(server, user);
  });
  afterAll(async () => server?.close());

  describe.each(Object.entries(doors))('%s', (_name, door) => {
    const trusted: Array<[string, () => string | undefined]> = [
      ['our own Origin', () => server.url],
      ['the Origin of a registered client\'s callbackURL', () => 'https://app.example'],
      ['the Origin of another client\'s callbackURL, with a port', () => 'https://cookie.example:8443'],
      ['the Origin of a callbackURL stored in capitals with its default port', () => 'https://body.example'],
      ['no Origin (not a browser)', () => undefined],
    ];
    it.each(trusted)('a form post without a form token from %s is taken', async (_case, origin) => {
      door.succeeded(await post(server, door, origin()));
    });

    const foreign: Array<[string, string | undefined, Record<string, string>]> = [
      ['a foreign Origin', 'https://evil.example', {}],
      ['Origin: null', 'null', {}],
      ['a look-alike suffix of a client origin', 'https://app.example.evil.example', {}],
      ['a client\'s host over http', 'http://app.example', {}],
      ['a client\'s host on another port', 'https://cookie.example', {}],
      ['a client\'s callback path glued on', 'https://app.example/callback', {}],
      ['no Origin but Sec-Fetch-Site: cross-site', undefined, { 'sec-fetch-site': 'cross-site' }],
      ['no Origin but Sec-Fetch-Site: same-site', undefined, { 'sec-fetch-site': 'same-site' }],
      ['no Origin but Sec-Fetch-Site twice', undefined, { 'sec-fetch-site': 'cross-site, cross-site' }],
    ];
    it.each(foreign)('a form post without a form token from %s is refused: 403, nothing stored, no cookie', async (_case, origin, headers) => {
      const before = await counts(server);
      const answer = await post(server, door, origin, headers);
      door.refused(answer);
      expect(answer.headers.getSetCookie().some((line) => line.startsWith('auth_token='))).toBe(false);
      expect(await counts(server)).toEqual(before);
    });

    it('a text/plain body from a foreign Origin is no JSON: refused, nothing stored', async () => {
      const before = await counts(server);
      const body = JSON.stringify(door.form());
      const answer = await server.request('POST', door.path, { body, headers: { origin: 'https://evil.example', 'content-type': 'text/plain' } });
      expect(answer.status, answer.text).toBe(403);
      expect(answer.headers.getSetCookie().some((line) => line.startsWith('auth_token='))).toBe(false);
      expect(await counts(server)).toEqual(before);
    });

    it.each([['a foreign Origin', 'https://evil.example'], ['Origin: null', 'null']])('a form post with the page\'s form token from %s is taken', async (_case, origin) => {
      const browser = new Browser(server, { origin });
      const page = await browser.request('GET', '/auth/login?clientID=query-app');
      const form_token = /name="form_token" value="([^"]+)"/.exec(page.text)![1]!;
      door.succeeded(await browser.request('POST', door.path, { form: { ...door.form(), form_token } }));
    });
  });

  it('delivers by each tokenMethod to a form posted from the client\'s callback origin without a token', async () => {
    const cookie = await new Browser(server, { origin: 'https://cookie.example:8443' }).request('POST', '/auth/login?clientID=cookie-app', { form: login });
    expect(cookie.status, cookie.text).toBe(303);
    expect(cookie.headers.get('location')).toBe('https://cookie.example:8443/cb');
    setsAuthCookie(cookie);
    const body = await new Browser(server, { origin: 'https://body.example' }).request('POST', '/auth/login?clientID=body-app', { form: login });
    expect(body.status, body.text).toBe(200);
    expect(Object.keys(body.body).sort()).toEqual(['accountID', 'token']);
  });

  it('names the form cookie __Host-gh_form (Secure, Path=/, no Domain) and ignores a planted unprefixed one', async () => {
    const browser = new Browser(server, { origin: 'https://evil.example' });
    const page = await browser.request('GET', '/auth/login?clientID=query-app');
    const line = browser.lastSetCookies.find((l) => l.startsWith('__Host-gh_form='))!;
    expect(line).toMatch(/^__Host-gh_form=[\w-]{43};/);
    expect(line).toMatch(/; Path=\/(;|$)/);
    expect(line).toMatch(/; Secure(;|$)/);
    expect(line).not.toMatch(/Domain=/i);
    // A sibling subdomain can plant `gh_form` (not `__Host-gh_form`): a value and token fetched from us do not pass.
    const form_token = /name="form_token" value="([^"]+)"/.exec(page.text)![1]!;
    const value = browser.cookies.get('__Host-gh_form')!.value;
    const before = await counts(server);
    const planted = await server.request('POST', '/auth/cookie', {
      body: new URLSearchParams({ auth_username: user, auth_password: goodPassword, form_token }).toString(),
      headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded', cookie: `gh_form=${value}` },
    });
    expectProblem(planted, 403, 'forbidden');
    expect(await counts(server)).toEqual(before);
  });

  it('takes JSON from anywhere, as no page can send it cross-site', async () => {
    const answer = await server.request('POST', '/auth/login?clientID=body-app', { json: login, headers: { origin: 'https://evil.example' } });
    expect(answer.status, answer.text).toBe(200);
    const cookie = await server.request('POST', '/auth/cookie', { json: { auth_username: user, auth_password: goodPassword }, headers: { origin: 'null' } });
    expect(cookie.status, cookie.text).toBe(200);
  });
});

describe('login CSRF with cookie.secure off', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer('sqlite', { config: { clients, cookie: { secure: false } } });
  });
  afterAll(async () => server?.close());

  it('names the form cookie gh_form, without Secure (a __Host- cookie needs it)', async () => {
    const browser = new Browser(server);
    await browser.request('GET', '/auth/login?clientID=query-app');
    const line = browser.lastSetCookies.find((l) => l.includes('gh_form='))!;
    expect(line).toMatch(/^gh_form=[\w-]{43};/);
    expect(line).not.toMatch(/Secure/i);
  });
});
