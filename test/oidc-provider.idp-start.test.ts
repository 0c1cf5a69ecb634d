import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from './helpers/browser.js';
import { addOidcClient } from './helpers/oidc-clients.js';
import { openOidcPeer, type OidcPeer } from './helpers/oidc-peer.js';
import { idpMetadataXml, makeKey, MetadataFile } from './helpers/saml-idp.js';
import { dialects, startServer, type Answer, type TestServer } from './helpers/server.js';

/**
 * What the provider logins of the hosted login take from an OpenID interaction, over plain HTTP (the browser suites
 * oidc-provider.idp-*.browser.test.ts walk the whole flows): the login page prefills `login_hint` (`?email=`) and
 * carries the interaction on every provider link (SAML and CAS too); each provider start keeps it (flow cookie,
 * SAML's stored request) and refuses a bad one, naming the field and keeping nothing.
 */
const uid = 'Interaction_uid-0123456789';
const clients = [{ clientID: 'no-sso', callbackURL: 'https://app.example/cb', config: { tokenMethod: 'query', disableStrategies: ['saml', 'cas', 'oidc'] } }];

describe.each(dialects)('provider logins take the OpenID interaction along (%s)', (dialect) => {
  let server: TestServer;
  let peer: OidcPeer;
  const metadata = new MetadataFile();

  beforeAll(async () => {
    metadata.write(idpMetadataXml([makeKey('start-idp')]));
    peer = await openOidcPeer('127.0.0.2');
    server = await startServer(dialect, {
      config: {
        clients,
        providers: { oidc: [{ id: 'corp', name: 'Corp SSO', issuer: peer.issuer, clientId: 'gh-corp', clientSecret: 'peer-secret-0123456789abcdef' }] },
        saml: { enabled: true, relyingPartyId: 'https://gatehouse.test/sp', idpMetadataUrl: metadata.url },
        cas: { enabled: true, serverUrl: 'https://cas.example/cas/' },
      },
    });
    await peer.configure({ clients: [{ client_id: 'gh-corp', client_secret: 'peer-secret-0123456789abcdef', redirect_uris: [`${server.url}/auth/oidc/corp/callback`] }] });
    await addOidcClient(server, 'app', { redirectUris: ['http://127.0.0.1:9/cb'], firstParty: true });
  });
  afterAll(async () => {
    await server?.close();
    await peer?.close();
    metadata.remove();
  });

  const samlRequests = () => server.app.services.database.db.selectFrom('saml_requests').select(['client_id', 'interaction']).execute();

  it('the login page prefills ?email= (escaped) and refuses one that is too long, unprintable or empty', async () => {
    const page = await server.request('GET', `/auth/login?clientID=app&interaction=${uid}&email=ann%40example.com`);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<input id="email"[^>]* value="ann@example.com"/);
    // The links and forms carry the interaction, not the e-mail.
    expect(page.text).toContain(`action="/auth/login?clientID=app&amp;interaction=${uid}"`);
    const quoted = await server.request('GET', `/auth/login?clientID=app&email=${encodeURIComponent('"><script>x</script>')}`);
    expect(quoted.text).toContain('value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
    expect(quoted.text).not.toContain('<script>x');
    for (const email of ['a'.repeat(255), 'ann%0A@example.com', '']) {
      const refused = await server.request('GET', `/auth/login?clientID=app&email=${email}`);
      expect(refused.status, email).toBe(400);
      expect(refused.body.errors.map((error: { field: string }) => error.field)).toEqual(['email']);
    }
    expect((await server.request('GET', `/auth/login?clientID=app&email=${'a'.repeat(254)}`)).status).toBe(200);
  });

  it('offers SAML and CAS beside the OIDC providers, each link with the client and the interaction; not to a client that disabled them', async () => {
    const page = await server.request('GET', `/auth/login?clientID=app&interaction=${uid}`);
    for (const [path, name] of [['/auth/oidc/corp', 'Corp SSO'], ['/auth/saml', 'SAML'], ['/auth/cas', 'CAS']]) {
      expect(page.text).toContain(`href="${path}?clientID=app&amp;interaction=${uid}">Continue with ${name}</a>`);
    }
    const none = await server.request('GET', '/auth/login?clientID=no-sso');
    expect(none.text).not.toMatch(/\/auth\/(saml|cas|oidc)/);
  });

  it('a provider login that failed inside an interaction comes back with ?error=: the page says so; a malformed code is refused', async () => {
    const page = await server.request('GET', `/auth/login?clientID=app&interaction=${uid}&error=conflict`, { headers: { 'accept-language': 'de' } });
    expect(page.status).toBe(200);
    expect(page.text).toContain('Die Anmeldung über diesen Anbieter hat nicht geklappt.');
    expect(page.text).not.toContain('conflict');
    const refused = await server.request('GET', '/auth/login?clientID=app&error=Call%20555');
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].field).toBe('error');
  });

  it('the OIDC start keeps the interaction in the flow cookie; the SAML start in its stored request', async () => {
    const oidc = await server.request('GET', `/auth/oidc/corp?clientID=app&interaction=${uid}`);
    expect(oidc.status).toBe(302);
    const cookie = oidc.headers.getSetCookie().find((line) => line.startsWith('gh_flow='))!;
    const flow = JSON.parse(Buffer.from(cookie.slice('gh_flow='.length).split('.')[0]!, 'base64url').toString('utf8'));
    expect([flow.clientId, flow.interaction]).toEqual(['app', uid]);

    const saml = await server.request('GET', `/auth/saml?clientID=app&interaction=${uid}`);
    expect(saml.status).toBe(302);
    expect(new URL(saml.headers.get('location')!).searchParams.get('RelayState')).not.toContain(uid);
    expect(await samlRequests()).toEqual([{ client_id: 'app', interaction: uid }]);

    const cas = await server.request('GET', `/auth/cas?clientID=app&interaction=${uid}`);
    expect(cas.status).toBe(302);
    expect(new URL(cas.headers.get('location')!).searchParams.get('service')).toBe(`${server.url}/auth/cas`);
    const casFlow = cas.headers.getSetCookie().find((line) => line.startsWith('gh_flow='))!;
    expect(JSON.parse(Buffer.from(casFlow.slice('gh_flow='.length).split('.')[0]!, 'base64url').toString('utf8'))).toMatchObject({ provider: 'cas', clientId: 'app', interaction: uid });
  });

  it.each([
    ['/auth/oidc/corp', 'interaction', `interaction=${uid}`, 400],
    ['/auth/oidc/corp', 'interaction', 'clientID=app&interaction=short', 400],
    ['/auth/saml', 'interaction', `interaction=${uid}`, 400],
    ['/auth/saml', 'interaction', 'clientID=app&interaction=not%20an%20id%20at%20all', 400],
    ['/auth/saml', 'interaction', `clientID=app&interaction=${uid}&interaction=${uid}`, 400],
    ['/auth/cas', 'interaction', `interaction=${uid}`, 400],
    ['/auth/cas', 'interaction', `clientID=app&interaction=${'x'.repeat(65)}`, 400],
    ['/auth/cas', 'clientID', 'clientID=nope', 400],
    ['/auth/cas', null, 'clientID=no-sso', 403],
  ] as const)('%s refuses %s (%s: %s)', async (path, field, query, status) => {
    const before = (await samlRequests()).length;
    const answer = await server.request('GET', `${path}?${query}`);
    expect(answer.status, answer.text).toBe(status);
    if (field) expect(answer.body.errors.map((error: { field: string }) => error.field)).toEqual([field]);
    else expect(answer.body.code).toBe('login-method-disabled');
    // Nothing kept: no flow cookie, no pending SAML request.
    expect(answer.headers.getSetCookie().filter((line) => /^gh_(flow|saml)=./.test(line))).toEqual([]);
    expect((await samlRequests()).length).toBe(before);
  });

  it('the interaction passes login_hint on as ?email= when the login form takes it, and leaves an overlong one out', async () => {
    const configuration = (await server.request('GET', '/.well-known/openid-configuration')).body;
    const hostedLogin = async (hint: string): Promise<URL> => {
      const browser = new Browser(server);
      const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
      const query = new URLSearchParams({
        client_id: 'app', response_type: 'code', scope: 'openid', redirect_uri: 'http://127.0.0.1:9/cb', code_challenge: challenge, code_challenge_method: 'S256', login_hint: hint,
      });
      const located = (answer: Answer) => new URL(answer.headers.get('location')!, server.url);
      // The app's redirect, the interaction, its landing hop (no Gatehouse session), then the hosted login.
      let answer = await browser.request('GET', `${new URL(configuration.authorization_endpoint).pathname}?${query}`, { initiator: null });
      for (let hops = 0; hops < 5 && answer.status !== 200 && located(answer).pathname !== '/auth/login'; hops++) {
        answer = await browser.request('GET', located(answer).pathname + located(answer).search);
        if (answer.status === 200) answer = await browser.followRefresh(answer);
      }
      return located(answer);
    };
    const hinted = await hostedLogin('ann@example.com');
    expect([hinted.pathname, hinted.searchParams.get('clientID'), hinted.searchParams.get('email')]).toEqual(['/auth/login', 'app', 'ann@example.com']);
    expect(hinted.searchParams.get('interaction')).toMatch(/^[A-Za-z0-9_-]{10,64}$/);
    const overlong = await hostedLogin('a'.repeat(300));
    expect(overlong.searchParams.has('email')).toBe(false);
    expect((await server.request('GET', overlong.pathname + overlong.search)).status).toBe(200);
  });
});
