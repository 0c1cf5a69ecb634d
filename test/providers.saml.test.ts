import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from './helpers/browser.js';
import { IDP_SSO_URL, idpMetadataXml, loginResponse, makeKey, requestIdOf, samlIdp, samlSp, stripSignatures, type TestKey } from './helpers/saml-idp.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManualClock, cryptoRandom } from '../src/clock.js';
import { OneTimeIds } from '../src/providers/one-time-ids.js';
import { IdpMetadataLoader, SamlProvider } from '../src/providers/saml.js';
import { SamlRequests } from '../src/providers/saml-requests.js';
import { registerAndLogin, startServer } from './helpers/server.js';
import { SP_ENTITY_ID, expectFailure, landedAt, fullLogin as login, respond, setup as setupSaml, startLogin, type Setup } from './providers.saml.setup.js';

let key1: TestKey;
let key2: TestKey;
let stranger: TestKey;

beforeAll(() => {
  key1 = makeKey('idp-1');
  key2 = makeKey('idp-2');
  stranger = makeKey('stranger');
});

const setup = (dialect: 'sqlite' | 'postgres', saml: Record<string, unknown> = {}, certs: TestKey[] = [key1]) => setupSaml(dialect, certs, saml);
const fullLogin = (s: Setup, browser: Browser, email: string, options: { signer?: TestKey; binding?: 'get' | 'post' } = {}) =>
  login(s, browser, email, options.signer ?? key1, options);

describe('SAML 2.0 login on sqlite', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup('sqlite');
  });
  afterAll(async () => s?.close());

  it('serves SP metadata with entityID = relyingPartyId and the ACS URL', async () => {
    const answer = await s.server.request('GET', '/auth/saml/metadata');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toContain('xml');
    expect(answer.text).toContain(`entityID="${SP_ENTITY_ID}"`);
    expect(answer.text).toMatch(new RegExp(`AssertionConsumerService[^>]*Location="${s.server.url}/auth/saml"`));
    expect(answer.text).toContain('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
  });

  it('logs in by the Redirect binding: AuthnRequest to the IdP, signed response at the ACS, cookie session', async () => {
    const browser = new Browser(s.server);
    const { requestId, relayState, xml, encoded } = await startLogin(browser, 'get');
    expect(xml).toContain(`<saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">${SP_ENTITY_ID}</saml:Issuer>`);
    expect(xml).toContain(`AssertionConsumerServiceURL="${s.server.url}/auth/saml"`);
    expect(xml).toContain(`Destination="${IDP_SSO_URL}/redirect"`);
    // Only the browser-binding nonce: the flow itself is kept on the server.
    expect([...browser.cookies.keys()]).toEqual(['gh_saml']);
    expect(relayState).toMatch(/^[\w-]{43}$/);
    // The real IdP accepts it (schema-valid AuthnRequest).
    const idp = samlIdp(key1);
    const sp = samlSp(s.spMetadata);
    const parsed = await idp.parseLoginRequest(sp, 'redirect', { query: { SAMLRequest: encoded } } as never);
    expect(parsed.extract.request?.id).toBe(requestId);

    const answer = await respond(browser, await loginResponse(idp, sp, requestId, 'alice@example.com'), relayState);
    expect(answer.status).toBe(200);
    expect(landedAt(answer, s.server)).toBe('/welcome');
    const user = await browser.request('GET', '/auth/user');
    expect(user.body.user).toBe('alice@example.com');
  });

  it('logs in to an existing account with that e-mail, linking it', async () => {
    await registerAndLogin(s.server, 'bob@example.com');
    const browser = new Browser(s.server);
    const { answer } = await fullLogin(s, browser, 'bob@example.com');
    expect(answer.status).toBe(200);
    expect((await browser.request('GET', '/auth/user')).body.user).toBe('bob@example.com');
  });

  it('refuses an unsigned response', async () => {
    const browser = new Browser(s.server);
    const { requestId, relayState } = await startLogin(browser);
    const response = stripSignatures(await loginResponse(samlIdp(key1), samlSp(s.spMetadata), requestId, 'eve@example.com'));
    expect(Buffer.from(response, 'base64').toString()).not.toContain('Signature');
    expectFailure(await respond(browser, response, relayState));
    expect((await browser.request('GET', '/auth/user')).body.id).toBe('_guest');
  });

  it('refuses a response signed by a key not in the metadata', async () => {
    const browser = new Browser(s.server);
    expectFailure((await fullLogin(s, browser, 'eve@example.com', { signer: stranger })).answer);
  });

  it('accepts a Response once only: replayed with the same RelayState, or with a RelayState of its own', async () => {
    const browser = new Browser(s.server);
    const { requestId, relayState } = await startLogin(browser);
    const response = await loginResponse(samlIdp(key1), samlSp(s.spMetadata), requestId, 'carol@example.com');
    expect(landedAt(await respond(browser, response, relayState), s.server)).toBe('/welcome');
    const attacker = new Browser(s.server);
    expectFailure(await respond(attacker, response, relayState));
    const own = await startLogin(attacker);
    expectFailure(await respond(attacker, response, own.relayState));
    expect((await attacker.request('GET', '/auth/user')).body.id).toBe('_guest');
  });

  it('refuses an expired assertion by the injected clock', async () => {
    const browser = new Browser(s.server);
    const { requestId, relayState } = await startLogin(browser);
    const response = await loginResponse(samlIdp(key1), samlSp(s.spMetadata), requestId, 'dave@example.com');
    s.server.clock.advance(6 * 60_000); // samlify's assertions live 5 minutes
    try {
      expectFailure(await respond(browser, response, relayState));
    } finally {
      s.server.clock.advance(-6 * 60_000);
    }
  });

  it('refuses an assertion for another audience', async () => {
    const browser = new Browser(s.server);
    const { requestId, relayState } = await startLogin(browser);
    const response = await loginResponse(samlIdp(key1), samlSp(s.spMetadata, { entityId: 'https://other.test/sp' }), requestId, 'eve@example.com');
    expect(Buffer.from(response, 'base64').toString()).toContain('https://other.test/sp');
    expectFailure(await respond(browser, response, relayState));
  });

  it('refuses a Response whose InResponseTo is another pending request than its RelayState names, and one without RelayState', async () => {
    const browser = new Browser(s.server);
    const other = new Browser(s.server);
    const { requestId: otherId, relayState: otherRelay } = await startLogin(other);
    const { relayState } = await startLogin(browser);
    const response = await loginResponse(samlIdp(key1), samlSp(s.spMetadata), otherId, 'eve@example.com');
    expectFailure(await respond(browser, response, relayState));

    const noRelayState = new Browser(s.server);
    expectFailure(await respond(noRelayState, response));
    expect((await noRelayState.request('GET', '/auth/user')).body.id).toBe('_guest');
    // The other request is still pending and answered by its own Response.
    expect(landedAt(await respond(other, response, otherRelay), s.server)).toBe('/welcome');
    expect((await other.request('GET', '/auth/user')).body.user).toBe('eve@example.com');
  });

  it('refuses a NameID that is not an e-mail address', async () => {
    const browser = new Browser(s.server);
    expectFailure((await fullLogin(s, browser, 'not-an-email')).answer);
  });

  it('reloads rotated IdP metadata after idpMetadataMaxAge, by the injected clock', async () => {
    s.file.write(idpMetadataXml([key2]));
    // Still cached: the new key is not trusted yet.
    expectFailure((await fullLogin(s, new Browser(s.server), 'frank@example.com', { signer: key2 })).answer);
    s.server.clock.advance(3600_000 + 1);
    const browser = new Browser(s.server);
    const { answer } = await fullLogin(s, browser, 'frank@example.com', { signer: key2 });
    expect(landedAt(answer, s.server)).toBe('/welcome');
    // The old key is gone from the metadata now.
    expectFailure((await fullLogin(s, new Browser(s.server), 'frank@example.com', { signer: key1 })).answer);
  });
});

describe('IdP metadata loader', () => {
  it('loads over http (loopback), extracts every signing certificate and both SSO bindings, reloads on demand after maxAge', async () => {
    let body = idpMetadataXml([key1, key2]);
    let fetches = 0;
    const http = createServer((_req, res) => {
      fetches += 1;
      res.setHeader('content-type', 'application/samlmetadata+xml');
      res.end(body);
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const clock = new ManualClock();
      const loader = new IdpMetadataLoader(`http://127.0.0.1:${(http.address() as AddressInfo).port}/metadata`, 60_000, clock);
      const first = await loader.get();
      expect(first.entityId).toBe('https://idp.test/saml');
      expect(first.signingCerts).toHaveLength(2);
      expect(first.signingCerts[1]).toContain(key2.certBase64.slice(0, 64));
      expect(first.ssoUrls).toEqual({
        'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect': `${IDP_SSO_URL}/redirect`,
        'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST': `${IDP_SSO_URL}/post`,
      });
      body = idpMetadataXml([key2]);
      clock.advance(59_999);
      expect((await loader.get()).signingCerts).toHaveLength(2);
      expect(fetches).toBe(1);
      clock.advance(1);
      expect((await loader.get()).signingCerts).toHaveLength(1);
      expect(fetches).toBe(2);
    } finally {
      await new Promise((resolve) => http.close(resolve));
    }
  });
});

describe('SAML 2.0 ACS checks, each refused for its own reason', () => {
  let s: Setup;
  let provider: SamlProvider;
  beforeAll(async () => {
    s = await setup('sqlite');
    const { db } = s.server.app.services.database;
    provider = new SamlProvider(s.server.config, s.server.clock, cryptoRandom, new OneTimeIds(db), new SamlRequests(db, s.server.clock));
  });
  afterAll(async () => s?.close());

  async function attempt(make: (requestId: string) => Promise<string>, state?: (requestId: string) => Record<string, string>) {
    const start = await provider.start();
    const requestId = start.state.requestId!;
    const SAMLResponse = await make(requestId);
    return provider.finish({ request: { body: { SAMLResponse } } as never, callbackUrl: s.server.config.saml.assertionConsumerServiceUrl, state: state ? state(requestId) : start.state });
  }
  const sign = (requestId: string, options: { signer?: TestKey; email?: string; audience?: string } = {}) =>
    loginResponse(samlIdp(options.signer ?? key1), samlSp(s.spMetadata, { entityId: options.audience }), requestId, options.email ?? 'x@example.com', s.server.clock.now());

  it('accepts a good response and yields the e-mail identity', async () => {
    await expect(attempt((id) => sign(id, { email: 'Good@Example.com' }))).resolves.toEqual({ provider: 'saml', subject: 'Good@Example.com', email: 'Good@Example.com', emailVerified: true });
  });
  it('unsigned', async () => {
    await expect(attempt(async (id) => stripSignatures(await sign(id)))).rejects.toThrow(/signature/i);
  });
  it('wrong key', async () => {
    await expect(attempt((id) => sign(id, { signer: stranger }))).rejects.toThrow(/signature/i);
  });
  it('wrong audience', async () => {
    await expect(attempt((id) => sign(id, { audience: 'https://other.test/sp' }))).rejects.toThrow(/audience/i);
  });
  it('InResponseTo of another request', async () => {
    await expect(attempt((id) => sign(id), () => ({ requestId: '_another' }))).rejects.toThrow(/InResponseTo/);
  });
  it('expired', async () => {
    await expect(attempt(async (id) => {
      const response = await sign(id);
      s.server.clock.advance(5 * 60_000 + 31_000);
      return response;
    })).rejects.toThrow(/expired/);
  });
  it('not yet valid', async () => {
    await expect(attempt(async (id) => {
      const response = await loginResponse(samlIdp(key1), samlSp(s.spMetadata), id, 'x@example.com', s.server.clock.now() + 5 * 60_000);
      return response;
    })).rejects.toThrow(/not yet valid/);
  });
  it('replayed', async () => {
    let saved = '';
    let savedId = '';
    await attempt(async (id) => { savedId = id; saved = await sign(id); return saved; });
    await expect(attempt(async () => saved, () => ({ requestId: savedId }))).rejects.toThrow(/already used/);
  });
  it('NameID not an e-mail', async () => {
    await expect(attempt((id) => sign(id, { email: 'uid=42' }))).rejects.toThrow(/NameID/);
  });
});

describe('SAML 2.0 options on sqlite', () => {
  it('sends the AuthnRequest by HTTP-POST, base64 of plain XML (not deflated), and logs in', async () => {
    const s = await setup('sqlite', { redirectMethod: 'post' });
    try {
      const browser = new Browser(s.server);
      const answer = await browser.request('GET', '/auth/saml');
      expect(answer.status).toBe(200);
      const encoded = /name="SAMLRequest" value="([^"]+)"/.exec(answer.text)![1]!;
      const relayState = /name="RelayState" value="([^"]+)"/.exec(answer.text)![1]!;
      const xml = Buffer.from(encoded, 'base64').toString('utf8');
      expect(xml).toMatch(/^<\?xml|^<samlp:AuthnRequest/);
      expect(xml).toContain(`Destination="${IDP_SSO_URL}/post"`);
      const requestId = requestIdOf(xml);
      const idp = samlIdp(key1);
      const sp = samlSp(s.spMetadata);
      const parsed = await idp.parseLoginRequest(sp, 'post', { body: { SAMLRequest: encoded } } as never);
      expect(parsed.extract.request?.id).toBe(requestId);
      const done = await respond(browser, await loginResponse(idp, sp, requestId, 'poster@example.com'), relayState);
      expect(landedAt(done, s.server)).toBe('/welcome');
      expect((await browser.request('GET', '/auth/user')).body.user).toBe('poster@example.com');
    } finally {
      await s.close();
    }
  });

  it('accepts a signature by any signing certificate of the metadata, and a signed Response (not only Assertion)', async () => {
    const s = await setup('sqlite', {}, [key1, key2]);
    try {
      expect(landedAt((await fullLogin(s, new Browser(s.server), 'k1@example.com', { signer: key1 })).answer, s.server)).toBe('/welcome');
      expect(landedAt((await fullLogin(s, new Browser(s.server), 'k2@example.com', { signer: key2 })).answer, s.server)).toBe('/welcome');
      const browser = new Browser(s.server);
      const { requestId, relayState } = await startLogin(browser);
      const response = await loginResponse(samlIdp(key2), samlSp(s.spMetadata, { wantMessageSigned: true }), requestId, 'k3@example.com');
      expect(landedAt(await respond(browser, response, relayState), s.server)).toBe('/welcome');
    } finally {
      await s.close();
    }
  });

  it('without userAutoProvisioning: unknown e-mail → failure redirect, known e-mail → login', async () => {
    const s = await setup('sqlite', { userAutoProvisioning: false });
    try {
      expectFailure((await fullLogin(s, new Browser(s.server), 'nobody@example.com')).answer, 'invalid-credentials');
      await registerAndLogin(s.server, 'known@example.com');
      const browser = new Browser(s.server);
      expect(landedAt((await fullLogin(s, browser, 'known@example.com')).answer, s.server)).toBe('/welcome');
      expect((await browser.request('GET', '/auth/user')).body.user).toBe('known@example.com');
    } finally {
      await s.close();
    }
  });

  it('answers 404 on all four routes when saml.enabled is false', async () => {
    const server = await startServer('sqlite');
    try {
      expect((await server.request('GET', '/auth/saml')).status).toBe(404);
      expect((await server.request('POST', '/auth/saml', { body: 'SAMLResponse=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(404);
      expect((await server.request('GET', '/auth/saml/metadata')).status).toBe(404);
      expect((await server.request('GET', '/auth/saml/finish?code=x')).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe('SAML 2.0 login on postgres', () => {
  it('logs in and creates the account', async () => {
    const s = await setup('postgres');
    try {
      const browser = new Browser(s.server);
      const { answer } = await fullLogin(s, browser, 'pg@example.com');
      expect(landedAt(answer, s.server)).toBe('/welcome');
      expect((await browser.request('GET', '/auth/user')).body.user).toBe('pg@example.com');
    } finally {
      await s.close();
    }
  });
});
