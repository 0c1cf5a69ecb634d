import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCleanup } from '../src/jobs/cleanup.js';
import { SAML_REQUEST_TTL_MS, SamlRequests } from '../src/providers/saml-requests.js';
import { sha256 } from '../src/util/hashing.js';
import { Browser } from './helpers/browser.js';
import { loginResponse, makeKey, samlIdp, samlSp, unsolicitedResponse, type TestKey } from './helpers/saml-idp.js';
import { dialects } from './helpers/server.js';
import { expectFailure, finishCode, landedAt, postResponse, respond, setup, startLogin, type Setup } from './providers.saml.setup.js';

/**
 * Pending AuthnRequests are kept on the server (CONTRACT §5): found again by RelayState, answered once, for 10
 * minutes, and the Response's InResponseTo must be the request's ID. Unsolicited Responses only with
 * `saml.allowIdpInitiated`.
 */

let key: TestKey;
beforeAll(() => {
  key = makeKey('idp-pending');
});

const CLIENT_CALLBACK = 'https://app.example.com/callback';

describe.each(dialects)('pending SAML requests on %s', (dialect) => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup(dialect, [key], {}, { clients: [{ clientID: 'web', callbackURL: CLIENT_CALLBACK, config: { tokenMethod: 'query' } }] });
  });
  afterAll(async () => s?.close());

  const db = () => s.server.app.services.database.db;
  const pendingRow = (relayState: string) => db().selectFrom('saml_requests').selectAll().where('relay_hash', '=', sha256(relayState)).executeTakeFirst();
  const sign = (requestId: string, email: string) => loginResponse(samlIdp(key), samlSp(s.spMetadata), requestId, email, s.server.clock.now());

  it('stores the request under the hash of its RelayState, and refuses the same Response replayed with that RelayState', async () => {
    const browser = new Browser(s.server);
    const { requestId, relayState } = await startLogin(browser);
    const row = await pendingRow(relayState);
    const binding = sha256(browser.cookies.get('gh_saml')!.value);
    expect(row).toMatchObject({ request_id: requestId, client_id: null, binding_hash: binding, expires_at: s.server.clock.now() + SAML_REQUEST_TTL_MS });
    const response = await sign(requestId, 'replay@example.com');
    expect(landedAt(await respond(browser, response, relayState), s.server)).toBe('/welcome');
    expect(await pendingRow(relayState)).toBeUndefined();
    const replayer = new Browser(s.server);
    expectFailure(await postResponse(replayer, response, relayState));
    expect((await replayer.request('GET', '/auth/user')).body.id).toBe('_guest');
  });

  it('accepts the Response after 9 minutes, refuses it after 11 (the request has expired) and removes the request', async () => {
    const browser = new Browser(s.server);
    const late = await startLogin(browser);
    const onTimeBrowser = new Browser(s.server);
    const onTime = await startLogin(onTimeBrowser);
    s.server.clock.advance(9 * 60_000);
    expect(landedAt(await respond(onTimeBrowser, await sign(onTime.requestId, 'ontime@example.com'), onTime.relayState), s.server)).toBe('/welcome');
    s.server.clock.advance(2 * 60_000);
    // A fresh assertion (the IdP answers now): only the pending request is too old.
    expectFailure(await postResponse(browser, await sign(late.requestId, 'late@example.com'), late.relayState));
    expect(await pendingRow(late.relayState)).toBeUndefined();
    expect((await browser.request('GET', '/auth/user')).body.id).toBe('_guest');
  });

  it('refuses a Response whose InResponseTo is not the request its RelayState names', async () => {
    const browser = new Browser(s.server);
    const { relayState } = await startLogin(browser);
    expectFailure(await postResponse(browser, await sign('_not-the-request', 'mismatch@example.com'), relayState));
    expect((await browser.request('GET', '/auth/user')).body.id).toBe('_guest');
  });

  it('keeps the client on the server: the token reaches the client that started, and a failure returns there', async () => {
    const browser = new Browser(s.server);
    const started = await startLogin(browser, 'get', '/auth/saml?clientID=web');
    expect(await pendingRow(started.relayState)).toMatchObject({ client_id: 'web' });
    const done = new URL(landedAt(await respond(browser, await sign(started.requestId, 'client@example.com'), started.relayState), s.server)!);
    expect(`${done.origin}${done.pathname}`).toBe(CLIENT_CALLBACK);
    expect((await s.server.request('GET', '/auth/user', { token: done.searchParams.get('token')! })).body.user).toBe('client@example.com');

    const failing = await startLogin(browser, 'get', '/auth/saml?clientID=web');
    const refused = new URL(landedAt(await postResponse(browser, await sign('_other', 'client@example.com'), failing.relayState), s.server)!);
    expect(`${refused.origin}${refused.pathname}?${refused.searchParams}`).toBe(`${CLIENT_CALLBACK}?error=invalid-credentials`);
  });

  it('refuses an unsolicited Response by default (saml.allowIdpInitiated is false)', async () => {
    const browser = new Browser(s.server);
    expectFailure(await postResponse(browser, await unsolicitedResponse(samlIdp(key), samlSp(s.spMetadata), 'unsolicited@example.com', s.server.clock.now())));
    expect((await browser.request('GET', '/auth/user')).body.id).toBe('_guest');
  });

  it('answers problem+json naming RelayState when it is not one string, and consumes nothing', async () => {
    const browser = new Browser(s.server);
    const { requestId, relayState } = await startLogin(browser);
    const response = await sign(requestId, 'twice@example.com');
    const body = new URLSearchParams([['SAMLResponse', response], ['RelayState', relayState], ['RelayState', relayState]]).toString();
    const answer = await s.server.request('POST', '/auth/saml', { body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
    expect(answer.body.errors).toEqual([{ field: 'RelayState', message: 'must be a string' }]);
    expect(answer.headers.getSetCookie()).toEqual([]);
    expect(await pendingRow(relayState)).toBeDefined();
  });

  it('two nodes racing with the same Response and RelayState: exactly one logs in', async () => {
    const node2 = await setup(dialect, [key], { assertionConsumerServiceUrl: s.server.config.saml.assertionConsumerServiceUrl }, {}, { database: s.server.database, clock: s.server.clock });
    try {
      const { requestId, relayState } = await startLogin(new Browser(s.server));
      const response = await sign(requestId, 'race@example.com');
      const answers = await Promise.all([postResponse(new Browser(s.server), response, relayState), postResponse(new Browser(node2.server), response, relayState)]);
      // The winner's browser is sent on to redeem the login; the other is refused at the ACS.
      expect(answers.map((a) => new URL(landedAt(a, s.server)!, 'http://x').pathname).sort()).toEqual(['/auth/saml/finish', '/sorry']);
      expect(answers.filter((a) => finishCode(a) !== null)).toHaveLength(1);

      // The consume itself, over two connections: of two takers of one RelayState exactly one gets the request.
      const mine = new SamlRequests(db(), s.server.clock);
      const theirs = new SamlRequests(node2.server.app.services.database.db, s.server.clock);
      for (let round = 0; round < 10; round += 1) {
        await mine.remember(`race-${round}`, { requestId: `_r${round}`, origin: { clientId: null, interaction: null }, target: null, bindingHash: 'b' });
        const taken = await Promise.all([mine.consume(`race-${round}`), theirs.consume(`race-${round}`)]);
        expect(taken.filter((t) => t !== null)).toEqual([{ requestId: `_r${round}`, origin: { clientId: null, interaction: null }, target: null, bindingHash: 'b' }]);
      }
    } finally {
      await node2.close();
    }
  });

  it('the scheduled clean-up removes pending requests whose 10 minutes are over, and keeps the others', async () => {
    const old = await startLogin(new Browser(s.server));
    s.server.clock.advance(SAML_REQUEST_TTL_MS);
    const fresh = await startLogin(new Browser(s.server));
    const report = await runCleanup(db(), s.server.config, s.server.clock.now());
    expect(report.samlRequests).toBeGreaterThanOrEqual(1);
    expect(await pendingRow(old.relayState)).toBeUndefined();
    expect(await pendingRow(fresh.relayState)).toBeDefined();
  });
});

describe.each(dialects)('saml.allowIdpInitiated on %s', (dialect) => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup(dialect, [key], { allowIdpInitiated: true });
  });
  afterAll(async () => s?.close());

  it('accepts an unsolicited Response, which lands at the default target with a session', async () => {
    const browser = new Browser(s.server);
    const answer = await postResponse(browser, await unsolicitedResponse(samlIdp(key), samlSp(s.spMetadata), 'idp-started@example.com', s.server.clock.now()));
    expect(landedAt(answer, s.server)).toBe('/welcome');
    expect((await browser.request('GET', '/auth/user')).body.user).toBe('idp-started@example.com');
  });

  it('still checks everything else: a replayed, another-audience or unknown-InResponseTo Response is refused', async () => {
    const response = await unsolicitedResponse(samlIdp(key), samlSp(s.spMetadata), 'again@example.com', s.server.clock.now());
    expect(landedAt(await postResponse(new Browser(s.server), response), s.server)).toBe('/welcome');
    expectFailure(await postResponse(new Browser(s.server), response));
    expectFailure(await postResponse(new Browser(s.server), await unsolicitedResponse(samlIdp(key), samlSp(s.spMetadata, { entityId: 'https://other.test/sp' }), 'x@example.com', s.server.clock.now())));
    // A Response to a request this server does not know (no pending RelayState) is not unsolicited.
    expectFailure(await postResponse(new Browser(s.server), await loginResponse(samlIdp(key), samlSp(s.spMetadata), '_unknown', 'x@example.com', s.server.clock.now()), 'made-up'));
    // Nor is an unsolicited one a way to answer a pending request.
    const browser = new Browser(s.server);
    const { relayState } = await startLogin(browser);
    expectFailure(await postResponse(browser, await unsolicitedResponse(samlIdp(key), samlSp(s.spMetadata), 'y@example.com', s.server.clock.now()), relayState));
  });
});
