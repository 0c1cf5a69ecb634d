import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCleanup } from '../src/jobs/cleanup.js';
import { SAML_COMPLETION_TTL_MS, SamlCompletions } from '../src/providers/saml-completions.js';
import { cryptoRandom } from '../src/clock.js';
import { sha256 } from '../src/util/hashing.js';
import { Browser } from './helpers/browser.js';
import { loginResponse, makeKey, samlIdp, samlSp, type TestKey } from './helpers/saml-idp.js';
import { dialects } from './helpers/server.js';
import { expectFailure, finishCode, landedAt, postResponse, respond, setup, startLogin, type Setup } from './providers.saml.setup.js';

/**
 * Login CSRF (CONTRACT §5): a validated Response logs in only the browser that started its login. The ACS, reached
 * by a cross-site POST without cookies, parks the identity; `GET /auth/saml/finish?code=` — reached from our own
 * page, so the SameSite=Lax binding cookie of `GET /auth/saml` rides along — redeems it once, within 2 minutes.
 */

let key: TestKey;
beforeAll(() => {
  key = makeKey('idp-binding');
});

const CLIENT_CALLBACK = 'https://app.example.com/callback';
/** A page of the attacker's site: whatever it makes the victim's browser send is cross-site. */
const ATTACKER_PAGE = 'http://127.0.0.2/trap';

describe.each(dialects)('SAML logins bound to the browser that started them, on %s', (dialect) => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup(dialect, [key], {}, { clients: [{ clientID: 'web', callbackURL: CLIENT_CALLBACK, config: { tokenMethod: 'query' } }] });
  });
  afterAll(async () => s?.close());

  const db = () => s.server.app.services.database.db;
  const sign = (requestId: string, email: string) => loginResponse(samlIdp(key), samlSp(s.spMetadata), requestId, email, s.server.clock.now());
  const accountOf = (email: string) => db().selectFrom('accounts').select('id').where('email', '=', email).executeTakeFirst();
  /** The attacker's own login, up to a valid signed Response and its RelayState (the attacker drives the IdP). */
  async function attackerResponse(email: string) {
    const attacker = new Browser(s.server);
    const { requestId, relayState } = await startLogin(attacker);
    return { attacker, relayState, response: await sign(requestId, email) };
  }

  it("a foreign page posting the attacker's Response and RelayState to the victim's ACS logs the victim in as nobody", async () => {
    for (const victimStarted of [false, true]) {
      const { relayState, response } = await attackerResponse('csrf-attacker@example.com');
      const victim = new Browser(s.server);
      // A victim that has a SAML login of its own under way holds a binding nonce — just not the attacker's.
      if (victimStarted) await startLogin(victim);
      const acs = await postResponse(victim, response, relayState);
      expect(acs.status).toBe(200);
      // The ACS starts nothing: no cookie, no session, and the parked identity has no account yet.
      expect(acs.headers.getSetCookie()).toEqual([]);
      expect(await accountOf('csrf-attacker@example.com')).toBeUndefined();
      expectFailure(await victim.followRefresh(acs));
      expect((await victim.request('GET', '/auth/user')).body.id).toBe('_guest');
    }
    const refused = await db().selectFrom('audit_events').select('data').where('type', '=', 'login.failed').execute();
    expect(refused.filter((e) => JSON.parse(e.data ?? '{}').provider === 'saml').length).toBeGreaterThanOrEqual(2);
  });

  it("a finish code the attacker got for its own Response, opened in the victim's browser, is refused", async () => {
    const { attacker, relayState, response } = await attackerResponse('code-attacker@example.com');
    const code = finishCode(await postResponse(attacker, response, relayState))!;
    expect(code).toMatch(/^[\w-]{43}$/);
    const victim = new Browser(s.server);
    await startLogin(victim);
    expectFailure(await victim.request('GET', `/auth/saml/finish?code=${code}`, { initiator: ATTACKER_PAGE }));
    expect((await victim.request('GET', '/auth/user')).body.id).toBe('_guest');
    // The code is spent: the attacker cannot use it either.
    expectFailure(await attacker.request('GET', `/auth/saml/finish?code=${code}`));
  });

  it('redeems a code once: the replayed finish is refused and starts nothing', async () => {
    const browser = new Browser(s.server);
    const { requestId, relayState } = await startLogin(browser);
    const acs = await postResponse(browser, await sign(requestId, 'once@example.com'), relayState);
    const binding = browser.cookies.get('gh_saml')!;
    const done = await browser.followRefresh(acs);
    expect(landedAt(done, s.server)).toBe('/welcome');
    // The binding cookie goes with the finish.
    expect(done.headers.getSetCookie().find((c) => c.startsWith('gh_saml='))).toMatch(/^gh_saml=; Max-Age=0; Path=\/auth\/saml;/);
    expect(browser.cookies.has('gh_saml')).toBe(false);
    const replayer = new Browser(s.server);
    replayer.cookies.set('gh_saml', binding);
    expectFailure(await replayer.followRefresh(acs));
    expect((await replayer.request('GET', '/auth/user')).body.id).toBe('_guest');
  });

  it('refuses a code older than 2 minutes (injected clock), and removes it', async () => {
    const browser = new Browser(s.server);
    const { requestId, relayState } = await startLogin(browser);
    const acs = await postResponse(browser, await sign(requestId, 'slow@example.com'), relayState);
    const codeHash = sha256(finishCode(acs)!);
    s.server.clock.advance(SAML_COMPLETION_TTL_MS);
    expectFailure(await browser.followRefresh(acs));
    expect(await db().selectFrom('saml_completions').select('code_hash').where('code_hash', '=', codeHash).executeTakeFirst()).toBeUndefined();
    expect((await browser.request('GET', '/auth/user')).body.id).toBe('_guest');
    expect(await accountOf('slow@example.com')).toBeUndefined();
  });

  it('refuses the finish without the binding cookie, or with another nonce', async () => {
    for (const cookie of [null, 'x'.repeat(43)]) {
      const browser = new Browser(s.server);
      const { requestId, relayState } = await startLogin(browser);
      const acs = await postResponse(browser, await sign(requestId, 'unbound@example.com'), relayState);
      if (cookie === null) browser.cookies.delete('gh_saml');
      else browser.cookies.get('gh_saml')!.value = cookie;
      expectFailure(await browser.followRefresh(acs));
      expect((await browser.request('GET', '/auth/user')).body.id).toBe('_guest');
    }
  });

  it("sends a client's refused finish back to its callbackURL with ?error=", async () => {
    const browser = new Browser(s.server);
    const { requestId, relayState } = await startLogin(browser, 'get', '/auth/saml?clientID=web');
    const acs = await postResponse(browser, await sign(requestId, 'client-unbound@example.com'), relayState);
    browser.cookies.delete('gh_saml');
    const refused = new URL(landedAt(await browser.followRefresh(acs), s.server)!);
    expect(`${refused.origin}${refused.pathname}?${refused.searchParams}`).toBe(`${CLIENT_CALLBACK}?error=invalid-credentials`);
  });

  it('keeps one nonce per browser, so two logins started in two tabs both finish', async () => {
    const browser = new Browser(s.server);
    const first = await startLogin(browser);
    const nonce = browser.cookies.get('gh_saml')!.value;
    const second = await startLogin(browser);
    expect(browser.cookies.get('gh_saml')!.value).toBe(nonce);
    expect(landedAt(await respond(browser, await sign(first.requestId, 'tab@example.com'), first.relayState), s.server)).toBe('/welcome');
    // The finish cleared the cookie: the other tab's login is bound to a nonce this browser no longer holds.
    browser.cookies.set('gh_saml', { value: nonce, attributes: { samesite: 'Lax' }, created: Date.now() });
    expect(landedAt(await respond(browser, await sign(second.requestId, 'tab@example.com'), second.relayState), s.server)).toBe('/welcome');
  });

  it('leaves another provider\'s flow cookie alone: no SAML answer clears gh_flow', async () => {
    const browser = new Browser(s.server);
    const { requestId, relayState } = await startLogin(browser);
    const acs = await postResponse(browser, await sign(requestId, 'tabs@example.com'), relayState);
    const done = await browser.followRefresh(acs);
    const refused = await postResponse(new Browser(s.server), await sign('_nothing', 'tabs@example.com'), 'unknown');
    for (const answer of [acs, done, refused]) expect(answer.headers.getSetCookie().filter((c) => c.startsWith('gh_flow='))).toEqual([]);
  });

  it('has no HEAD twin of GET /auth/saml (outside the rate limit) nor of the finish (spending the code)', async () => {
    const before = await db().selectFrom('saml_requests').select('relay_hash').execute();
    expect((await s.server.request('HEAD', '/auth/saml')).status).toBe(404);
    expect(await db().selectFrom('saml_requests').select('relay_hash').execute()).toHaveLength(before.length);
    const browser = new Browser(s.server);
    const { requestId, relayState } = await startLogin(browser);
    const acs = await postResponse(browser, await sign(requestId, 'head@example.com'), relayState);
    expect((await s.server.request('HEAD', `/auth/saml/finish?code=${finishCode(acs)}`)).status).toBe(404);
    expect(landedAt(await browser.followRefresh(acs), s.server)).toBe('/welcome');
  });

  it('answers problem+json naming code when it is missing or not one string', async () => {
    for (const query of ['', '?code=', '?code=a&code=b']) {
      const answer = await new Browser(s.server).request('GET', `/auth/saml/finish${query}`);
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toContain('application/problem+json');
      expect(answer.body.errors).toEqual([{ field: 'code', message: query === '?code=a&code=b' ? 'must be a string' : 'is required' }]);
    }
  });

  it('of two redeemers of one code exactly one gets it; the clean-up removes expired completions', async () => {
    const completions = new SamlCompletions(db(), s.server.clock, cryptoRandom);
    const identity = { provider: 'saml', subject: 'r@example.com', email: 'r@example.com', emailVerified: true };
    for (let round = 0; round < 5; round += 1) {
      const code = await completions.park({ identity, origin: { clientId: null, interaction: null }, target: null, bindingHash: 'b' });
      const taken = await Promise.all([completions.take(code), completions.take(code)]);
      expect(taken.filter((t) => t !== null)).toEqual([{ identity, origin: { clientId: null, interaction: null }, target: null, bindingHash: 'b' }]);
    }
    const old = await completions.park({ identity, origin: { clientId: null, interaction: null }, target: null, bindingHash: 'b' });
    s.server.clock.advance(SAML_COMPLETION_TTL_MS);
    const fresh = await completions.park({ identity, origin: { clientId: null, interaction: null }, target: null, bindingHash: 'b' });
    const report = await runCleanup(db(), s.server.config, s.server.clock.now());
    expect(report.samlCompletions).toBeGreaterThanOrEqual(1);
    const left = await db().selectFrom('saml_completions').select('code_hash').where('code_hash', 'in', [sha256(old), sha256(fresh)]).execute();
    expect(left).toEqual([{ code_hash: sha256(fresh) }]);
  });
});

describe('the binding cookie follows cookie.secure and the path of server.baseUrl', () => {
  it('is Secure with cookie.secure (the default), not without it; its path is the SAML routes under the base path', async () => {
    const [secure, plain] = await Promise.all([setup('sqlite', [key]), setup('sqlite', [key], {}, { cookie: { secure: false } })]);
    try {
      expect((await secure.server.request('GET', '/auth/saml')).headers.getSetCookie()).toEqual([expect.stringMatching(/^gh_saml=[\w-]{43}; Max-Age=600; Path=\/auth\/saml; HttpOnly; Secure; SameSite=Lax$/)]);
      expect((await plain.server.request('GET', '/auth/saml')).headers.getSetCookie()).toEqual([expect.stringMatching(/^gh_saml=[\w-]{43}; Max-Age=600; Path=\/auth\/saml; HttpOnly; SameSite=Lax$/)]);
    } finally {
      await Promise.all([secure.close(), plain.close()]);
    }
    const proxied = await setup('sqlite', [key], {}, { server: { baseUrl: 'https://example.com/accounts' } });
    try {
      expect((await proxied.server.request('GET', '/auth/saml')).headers.getSetCookie()[0]).toContain('; Path=/accounts/auth/saml;');
    } finally {
      await proxied.close();
    }
  });
});

describe('GET /auth/saml is rate-limited with the login budget', () => {
  it('refuses the start over rateLimit.login per address, and stores no pending request for it', async () => {
    const s = await setup('sqlite', [key], {}, { rateLimit: { enabled: true, login: 2, window: '1m' } });
    try {
      const browser = new Browser(s.server);
      await startLogin(browser);
      await startLogin(browser);
      const limited = await browser.request('GET', '/auth/saml');
      expect(limited.status).toBe(429);
      expect(limited.body.code).toBe('rate-limited');
      const rows = await s.server.app.services.database.db.selectFrom('saml_requests').select('relay_hash').execute();
      expect(rows).toHaveLength(2);
    } finally {
      await s.close();
    }
  });
});
