import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from './helpers/browser.js';
import { goodPassword, startServer, type TestServer } from './helpers/server.js';

/** What Chromium sends on a navigation; an API caller sends `application/json`, `*\/*` or nothing. */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
const clients = [
  { clientID: 'web', callbackURL: 'https://app.example/callback', config: { tokenMethod: 'query' } },
  { clientID: 'sso-only', callbackURL: 'https://sso.example/cb', config: { tokenMethod: 'query', disableStrategies: ['password'] } },
];

/** The problem every refused hosted request answered before issue 16, and still answers API callers. */
const problem = (field: string, message: string) => ({
  type: '/docs/errors#invalid-request', title: 'Invalid request', status: 400, detail: `${field}: ${message}`, code: 'invalid-request', errors: [{ field, message }],
});

/** Refusals of hosted routes: the path, and the problem+json an API caller gets for it. */
const refusals: Array<[string, string, ReturnType<typeof problem>]> = [
  ['GET', '/auth/login', problem('clientID', 'is required')],
  ['GET', '/auth/login?clientID=nope', problem('clientID', 'is not a registered client')],
  ['GET', '/auth/register?clientID=', problem('clientID', 'is required')],
  ['GET', '/auth/password-reset?clientID=web', problem('email', 'is required')],
  ['GET', '/auth/password-reset?clientID=nope&email=a%40example.com', problem('clientID', 'is not a registered client')],
  ['GET', '/auth/confirmation?clientID=nope', problem('clientID', 'is not a registered client')],
];

describe('hosted pages answer a browser with a page, API callers with problem+json', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer('sqlite', { config: { clients } });
  });
  afterAll(async () => server?.close());

  it.each(refusals)('%s %s keeps its problem+json for API callers (inject)', async (method, url, expected) => {
    for (const accept of ['application/json', '*/*', 'application/problem+json', 'text/html;q=0.5, application/json', undefined]) {
      const answer = await server.app.inject({ method: method as 'GET', url, headers: accept === undefined ? {} : { accept } });
      expect(answer.statusCode, `${accept}: ${answer.body}`).toBe(400);
      expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(answer.json()).toEqual(expected);
    }
  });

  it('says what is wrong and what to do, in English or German, with the same status', async () => {
    const page = async (url: string, language = 'en-US') => {
      const answer = await server.app.inject({ method: 'GET', url, headers: { accept: BROWSER_ACCEPT, 'accept-language': language } });
      expect(answer.headers['content-type']).toMatch(/^text\/html/);
      expect(answer.headers['content-security-policy']).toContain("default-src 'none'");
      expect(answer.body).not.toContain('"code"');
      return answer;
    };
    const missing = await page('/auth/login');
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toContain('<h1>This link is incomplete</h1>');
    expect(missing.body).toContain('Go back to the application and use its own sign-in link or button.');
    const unknown = await page('/auth/login?clientID=%3Cb%3Enope');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain('<h1>Unknown application</h1>');
    // The clientID is shown, escaped.
    expect(unknown.body).toContain('&lt;b&gt;nope');
    const german = await page('/auth/register?clientID=nope', 'de-DE,de;q=0.9');
    expect(german.body).toContain('<html lang="de">');
    expect(german.body).toContain('<h1>Unbekannte Anwendung</h1>');
    const noPasswords = await page('/auth/password-reset?clientID=sso-only');
    expect(noPasswords.statusCode).toBe(403);
    expect(noPasswords.body).toContain('<h1>Not available for this application</h1>');
    // A post no form sends (text/plain) is refused by validation: a page naming what was wrong, with its status.
    const odd = await server.app.inject({
      method: 'POST', url: '/auth/login?clientID=web', payload: 'email=x', headers: { accept: BROWSER_ACCEPT, 'content-type': 'text/plain' },
    });
    expect(odd.statusCode, odd.body).toBe(400);
    expect(odd.headers['content-type']).toMatch(/^text\/html/);
    expect(odd.body).toContain('<h1>This request is not valid</h1>');
    expect(odd.body).toContain('The link or form you used is not valid (body).');
  });

  it('gives /auth/password-reset?clientID= without an e-mail a form of its own, and a mistyped one the form with the reason', async () => {
    const form = await server.app.inject({ method: 'GET', url: '/auth/password-reset?clientID=web', headers: { accept: BROWSER_ACCEPT } });
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('<h1>Reset your password</h1>');
    expect(form.body).toMatch(/<form method="get" action="\/auth\/password-reset"><input type="hidden" name="clientID" value="web">/);
    expect(form.body).not.toContain('aria-invalid');
    const typo = await server.app.inject({ method: 'GET', url: '/auth/password-reset?clientID=web&email=not-an-address', headers: { accept: BROWSER_ACCEPT } });
    expect(typo.statusCode).toBe(400);
    expect(typo.body).toContain('The e-mail address is not valid.');
    expect(typo.body).toContain('value="not-an-address"');
    // Both wrong: the client decides the page.
    const both = await server.app.inject({ method: 'GET', url: '/auth/password-reset', headers: { accept: BROWSER_ACCEPT } });
    expect(both.statusCode).toBe(400);
    expect(both.body).toContain('<h1>This link is incomplete</h1>');
  });

  it('offers a new confirmation link when a hosted login is refused as not confirmed, and the link leads back to the client', async () => {
    const email = 'unconfirmed-hosted@example.com';
    expect((await server.request('POST', '/api/auth/register', { json: { email, password: goodPassword } })).status).toBe(201);
    const browser = new Browser(server);
    const page = await browser.request('GET', '/auth/login?clientID=web');
    const formToken = /name="form_token" value="([^"]+)"/.exec(page.text)![1]!;
    const refused = await browser.request('POST', '/auth/login?clientID=web', { form: { email, password: goodPassword, form_token: formToken } });
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('action="/auth/confirmation?clientID=web"');
    expect(refused.text).toContain(`id="resend-email" name="email" type="email" autocomplete="email" value="${email}"`);
    const resendToken = /name="form_token" value="([^"]+)"/.exec(refused.text)![1]!;

    const sent = await browser.request('POST', '/auth/confirmation?clientID=web', { form: { email, form_token: resendToken } });
    expect(sent.status).toBe(200);
    expect(sent.text).toContain('If an account with the address unconfirmed-hosted@example.com exists and is not confirmed yet');
    const mails = () => server.smtp.messages.filter((m) => m.to.includes(email) && m.subject.includes('Confirm'));
    await server.smtp.waitFor(() => mails().length === 2);
    const confirmed = await fetch(server.smtp.linkIn(mails()[1]!, '/auth/confirm/'));
    const text = await confirmed.text();
    expect(confirmed.status).toBe(200);
    // Default signup.tokenBeforeConfirmation: the page confirms and leads on to the client.
    expect(text).toContain('<a id="onward" href="https://app.example/callback">Continue to the application</a>');
    expect((await server.request('POST', '/api/auth/login', { json: { email, password: goodPassword } })).status).toBe(200);
  });

  it('refuses a resend form without its token, and a bad address next to the field', async () => {
    const browser = new Browser(server);
    const forged = await browser.request('POST', '/auth/confirmation?clientID=web', { form: { email: 'someone@example.com' } });
    expect(forged.status).toBe(403);
    expect(forged.text).toContain('This form expired. Please try again.');
    const token = /name="form_token" value="([^"]+)"/.exec(forged.text)![1]!;
    const bad = await browser.request('POST', '/auth/confirmation?clientID=web', { form: { email: 'nope', form_token: token } });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('id="email-error"');
    const json = await server.request('POST', '/auth/confirmation', { json: { email: 'nope' } });
    expect(json.status).toBe(400);
    expect(json.body.errors[0].field).toBe('email');
  });
});

describe('a rate-limited hosted page is a page too, and the hosted resend shares the API\'s budget', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer('sqlite', { config: { clients, rateLimit: { enabled: true, forgotPassword: 2 } } });
  });
  afterAll(async () => server?.close());

  it('counts POST /auth/confirmation with POST /api/auth/account/confirmation; the refusal is a 429 page with Retry-After', async () => {
    const browser = new Browser(server);
    const form = await browser.request('GET', '/auth/confirmation?clientID=web');
    const token = /name="form_token" value="([^"]+)"/.exec(form.text)![1]!;
    expect((await server.request('POST', '/api/auth/account/confirmation', { json: { email: 'a@example.com' } })).status).toBe(202);
    expect((await browser.request('POST', '/auth/confirmation?clientID=web', { form: { email: 'a@example.com', form_token: token } })).status).toBe(200);
    const limited = await browser.request('POST', '/auth/confirmation?clientID=web', { form: { email: 'a@example.com', form_token: token }, headers: { accept: BROWSER_ACCEPT } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(limited.text).toContain('<h1>Too many attempts</h1>');
    const api = await server.request('POST', '/api/auth/account/confirmation', { json: { email: 'a@example.com' } });
    expect(api.status).toBe(429);
    expect(api.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});
