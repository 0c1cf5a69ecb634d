import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseCas1, parseSamlResponse, parseServiceResponse, samlRequest } from '../src/providers/cas.js';
import type { Services } from '../src/services.js';
import { Browser, refreshTarget } from './helpers/browser.js';
import { CasBrowser, casUsers, startCasServer, type CasServer } from './helpers/cas-server.js';
import { expectProblem } from './helpers/problems.js';
import { startServer, type Answer, type TestServer } from './helpers/server.js';

/**
 * CAS login against a real CAS server (Debian's django-cas-server) for every protocol version: the redirect,
 * the CAS login form, the ticket back to Gatehouse, validation, the cookie session (CONTRACT §5, seeds 001/004).
 */

let cas: CasServer;
const servers: TestServer[] = [];

beforeAll(async () => {
  // A site of its own (Gatehouse is on 127.0.0.1): the ticket comes back by a navigation a foreign page started.
  cas = await startCasServer('127.0.0.5');
}, 60_000);
afterAll(async () => {
  await cas?.stop();
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function gatehouse(casConfig: Record<string, unknown>): Promise<TestServer> {
  const server = await startServer('sqlite', { config: { cas: { enabled: true, serverUrl: cas.url, ...casConfig } } });
  servers.push(server);
  return server;
}

const services = (server: TestServer): Services => (server.app as unknown as { services: Services }).services;

/**
 * Browser → Gatehouse → CAS login form → back to Gatehouse with ?ticket=; returns Gatehouse's answer to the ticket.
 * The return is a redirect of the CAS login form's post: a navigation the CAS site started (`initiator`), so the
 * browser helper withholds what Chromium withholds there.
 */
async function casLogin(server: TestServer, username: keyof typeof casUsers, password?: string): Promise<{ browser: Browser; answer: Answer; ticketPath: string }> {
  const browser = new Browser(server);
  const start = await browser.request('GET', '/auth/cas');
  expect(start.status).toBe(302);
  const loginUrl = start.headers.get('location')!;
  const back = await new CasBrowser().login(loginUrl, username, password ?? casUsers[username].password);
  expect(back.startsWith(`${server.url}/auth/cas?ticket=ST-`)).toBe(true);
  const ticketPath = back.slice(server.url.length);
  const answer = await browser.request('GET', ticketPath, { initiator: loginUrl });
  return { browser, answer, ticketPath };
}

/** The landing hop (CONTRACT §5): a 200 page of Gatehouse's own that continues to `target`. */
function expectLandingPage(answer: Answer, target: string): void {
  expect(answer.status).toBe(200);
  expect(answer.headers.get('content-type')).toContain('text/html');
  expect(answer.headers.get('cache-control')).toBe('no-store');
  expect(refreshTarget(answer.text, 'http://unused.invalid')?.href).toBe(target);
}

async function accountNamed(server: TestServer, username: string) {
  return services(server).database.db.selectFrom('accounts').selectAll().where('username', '=', username).executeTakeFirst();
}

describe.each(['cas1', 'cas2', 'cas3', 'saml11'] as const)('CAS login, version %s', (version) => {
  it('logs in through the real CAS server, provisions the account, and refuses the ticket a second time', async () => {
    const server = await gatehouse({ version, userAutoProvisioning: true, redirectSuccessUrl: '/welcome' });
    const start = await server.request('GET', '/auth/cas');
    expect(start.status).toBe(302);
    expect(start.headers.get('location')).toBe(`${cas.url}login?service=${encodeURIComponent(`${server.url}/auth/cas`)}`);

    const { browser, answer, ticketPath } = await casLogin(server, 'alice');
    expectLandingPage(answer, `${server.url}/welcome`);
    expect(browser.cookies.size).toBeGreaterThan(0);
    const me = await browser.request('GET', '/auth/user');
    expect(me.status).toBe(200);
    expect(me.body.user).toBe('alice');

    const account = await accountNamed(server, 'alice');
    expect(account).toBeDefined();
    // CAS 3.0 and SAML 1.1 carry attributes; the e-mail is kept but unverified (CAS does not vouch for it).
    expect(account!.email).toBe(version === 'cas3' || version === 'saml11' ? casUsers.alice.email : null);
    expect(account!.confirmed).toBe(0);
    const credential = await services(server).database.db.selectFrom('credentials').selectAll().where('type', '=', 'cas').executeTakeFirst();
    expect(credential?.external_id).toBe('alice');

    // Replay of the same ticket in a fresh login: refused before the CAS server is even asked.
    const replayer = new Browser(server);
    await replayer.request('GET', '/auth/cas');
    const replay = await replayer.request('GET', ticketPath, { initiator: cas.url });
    expectProblem(replay, 401, 'invalid-credentials');
    expect(replay.body.detail).toMatch(/already used/);
    // A ticket brought to a browser that started no CAS login (login CSRF) is refused too.
    expectProblem(await new Browser(server).request('GET', ticketPath, { initiator: cas.url }), 401, 'invalid-credentials');

    // A second login links to the same account.
    const again = await casLogin(server, 'alice');
    expectLandingPage(again.answer, `${server.url}/welcome`);
    expect((await again.browser.request('GET', '/auth/user')).body.id).toBe(account!.id);
  }, 30_000);

  it('refuses the CAS user admin (seed 004) and a forged ticket', async () => {
    const server = await gatehouse({ version, userAutoProvisioning: true });
    const { browser, answer } = await casLogin(server, 'admin');
    expectProblem(answer, 401, 'invalid-credentials');
    expect(browser.cookies.size).toBe(0);
    expect(await services(server).database.db.selectFrom('credentials').selectAll().where('type', '=', 'cas').execute()).toEqual([]);
    const forger = new Browser(server);
    await forger.request('GET', '/auth/cas');
    const forged = await forger.request('GET', '/auth/cas?ticket=ST-forged-ticket-0123456789', { initiator: cas.url });
    expectProblem(forged, 401, 'invalid-credentials');
    expect(forged.body.detail).toMatch(/did not accept|refused/);
  }, 30_000);
});

describe('CAS login rules', () => {
  it('without auto-provisioning an unknown CAS user gets no account (problem+json, or the failure URL)', async () => {
    const plain = await gatehouse({ version: 'cas2' });
    const refused = await casLogin(plain, 'bob');
    expect(refused.answer.status).toBe(401);
    expect(refused.answer.body.code).toBe('invalid-credentials');
    expect(await accountNamed(plain, 'bob')).toBeUndefined();

    const redirecting = await gatehouse({ version: 'cas2', redirectFailureUrl: 'https://app.example/failed' });
    const sent = await casLogin(redirecting, 'bob');
    expect(sent.answer.status).toBe(303);
    expect(sent.answer.headers.get('location')).toBe('https://app.example/failed?error=invalid-credentials');
    expect(sent.browser.cookies.size).toBe(0);
  }, 30_000);

  it('an existing account with the CAS uid as user name logs in as that account (no auto-provisioning)', async () => {
    const server = await gatehouse({ version: 'cas2' });
    const existing = await services(server).accounts.createAccount({ username: 'alice', email: null, type: 'user', confirmed: true });
    const { browser, answer } = await casLogin(server, 'alice');
    expectLandingPage(answer, `${server.url}/auth/user`);
    // The landing page is the first to see the session: its refresh is a navigation Gatehouse's own page starts.
    const me = await browser.followRefresh(answer);
    expect(me.body.id).toBe(existing.id);
    expect(me.body.user).toBe('alice');
  }, 30_000);

  it('the landing page continues by meta refresh and link only (no script, no referrer, escaped); only its own hop carries the Strict cookie', async () => {
    const server = await gatehouse({ version: 'cas2', userAutoProvisioning: true, redirectSuccessUrl: `/auth/user?a=1&b='x'"<y>` });
    const { browser, answer } = await casLogin(server, 'alice');
    const target = `${server.url}/auth/user?a=1&b=%27x%27%22%3Cy%3E`;
    expectLandingPage(answer, target);
    expect(answer.text).toContain(`content="0;url=${target.replace('&', '&amp;')}"`);
    expect(answer.text).toContain(`href="${target.replace('&', '&amp;')}"`);
    expect(answer.text).not.toMatch(/<script|<y>/i);
    expect(answer.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(answer.headers.get('content-security-policy')).not.toMatch(/script-src/);
    expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
    expect(browser.cookies.get('auth_token')?.attributes.samesite).toBe('Strict');
    // A redirect here would have stayed in the chain the CAS site started: Chromium withholds the cookie there.
    expect((await browser.request('GET', '/auth/user', { initiator: cas.url })).body.user).toBe('_guest');
    expect((await browser.followRefresh(answer)).body.user).toBe('alice');
  }, 30_000);

  it('a forged ticket goes to the failure URL with invalid-credentials', async () => {
    const server = await gatehouse({ version: 'cas3', redirectFailureUrl: '/failed' });
    const browser = new Browser(server);
    await browser.request('GET', '/auth/cas');
    const answer = await browser.request('GET', '/auth/cas?ticket=ST-not-issued-by-the-server', { initiator: cas.url });
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe(`${server.url}/failed?error=invalid-credentials`);
    await browser.request('GET', '/auth/cas');
    const malformed = await browser.request('GET', `/auth/cas?ticket=${'x'.repeat(300)}`, { initiator: cas.url });
    expect(malformed.headers.get('location')).toBe(`${server.url}/failed?error=invalid-credentials`);
  });

  it('a ticket the CAS server already consumed is refused', async () => {
    const server = await gatehouse({ version: 'cas2', userAutoProvisioning: true });
    const browser = new Browser(server);
    const start = await browser.request('GET', '/auth/cas');
    const back = await new CasBrowser().login(start.headers.get('location')!, 'alice', casUsers.alice.password);
    const ticket = new URL(back).searchParams.get('ticket')!;
    // Someone else validates it first (at the CAS server directly).
    const stolen = await fetch(`${cas.url}serviceValidate?service=${encodeURIComponent(`${server.url}/auth/cas`)}&ticket=${ticket}`);
    expect(await stolen.text()).toContain('authenticationSuccess');
    const answer = await browser.request('GET', back.slice(server.url.length), { initiator: cas.url });
    expectProblem(answer, 401, 'invalid-credentials');
  }, 30_000);

  it('cas.loginUrl overrides <serverUrl>login in the redirect; validation still goes to serverUrl', async () => {
    const server = await gatehouse({ version: 'cas2', loginUrl: 'https://sso.example/cas/custom-login', userAutoProvisioning: true });
    const start = await server.request('GET', '/auth/cas');
    expect(start.status).toBe(302);
    const location = new URL(start.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe('https://sso.example/cas/custom-login');
    expect(location.searchParams.get('service')).toBe(`${server.url}/auth/cas`);
    // The ticket from the real server is validated at serverUrl.
    const browser = new Browser(server);
    await browser.request('GET', '/auth/cas');
    const back = await new CasBrowser().login(`${cas.url}login${location.search}`, 'alice', casUsers.alice.password);
    const answer = await browser.request('GET', back.slice(server.url.length), { initiator: cas.url });
    expectLandingPage(answer, `${server.url}/auth/user`);
  }, 30_000);

  it('cas.enabled false answers 404', async () => {
    const server = await startServer('sqlite', {});
    servers.push(server);
    expectProblem(await server.request('GET', '/auth/cas'), 404, 'not-found');
    expectProblem(await server.request('GET', '/auth/cas?ticket=ST-1'), 404, 'not-found');
  });
});

describe('CAS answers (parsers)', () => {
  it('CAS 1.0 validate', () => {
    expect(parseCas1('yes\nalice\n').uid).toBe('alice');
    expect(() => parseCas1('no\n')).toThrow(/did not accept/);
    expect(() => parseCas1('yes\n\n')).toThrow();
  });

  it('CAS 2.0/3.0 serviceResponse', () => {
    const ok = '<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:authenticationSuccess><cas:user>alice</cas:user>'
      + '<cas:attributes><cas:mail>a@x.example</cas:mail></cas:attributes></cas:authenticationSuccess></cas:serviceResponse>';
    expect(parseServiceResponse(ok)).toEqual({ uid: 'alice', email: 'a@x.example' });
    const failure = '<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:authenticationFailure code="INVALID_TICKET">no</cas:authenticationFailure></cas:serviceResponse>';
    expect(() => parseServiceResponse(failure)).toThrow(/INVALID_TICKET/);
    expect(() => parseServiceResponse('<!DOCTYPE x [<!ENTITY a "b">]><x/>')).toThrow(/DTD/);
    expect(() => parseServiceResponse('not xml at all <')).toThrow();
  });

  it('SAML 1.1 request and response', () => {
    const request = samlRequest('ST-1<&', new Date(0));
    expect(request).toContain('<SOAP-ENV:Header/>');
    expect(request).toContain('<samlp:AssertionArtifact>ST-1&lt;&amp;</samlp:AssertionArtifact>');
    const failed = '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body>'
      + '<Response xmlns="urn:oasis:names:tc:SAML:1.0:protocol"><Status><StatusCode Value="samlp:RequestDenied"/></Status></Response></SOAP-ENV:Body></SOAP-ENV:Envelope>';
    expect(() => parseSamlResponse(failed)).toThrow(/RequestDenied/);
  });

});
