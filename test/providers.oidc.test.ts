import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOidcPeer, WebAgent, type Hop, type OidcPeer } from './helpers/oidc-peer.js';
import { dialects, registerAndLogin, startServer, type TestServer } from './helpers/server.js';

const CALLBACK = 'https://app.example/callback';
const clients = [
  { clientID: 'app', callbackURL: CALLBACK, config: { tokenMethod: 'query' } },
  { clientID: 'no-google', callbackURL: CALLBACK, config: { tokenMethod: 'query', disableStrategies: ['google', 'oidc:corp'] } },
];

/** Where the browser was sent outside Gatehouse and the peers: the client's callback, with token or error. */
function exitOf(hop: Hop): URL {
  if (!hop.exit) throw new Error(`the browser did not return to the client: ${hop.status} ${hop.url} ${hop.text.slice(0, 300)}`);
  expect(`${hop.exit.origin}${hop.exit.pathname}`).toBe(CALLBACK);
  return hop.exit;
}

describe.each(dialects)('Google, Facebook and OIDC login against real OpenID Providers on %s', (dialect) => {
  let server: TestServer;
  let google: OidcPeer;
  let corp: OidcPeer;
  let facebook: OidcPeer;
  const secret = 'peer-client-secret-0123456789abcdef';
  const agent = () => new WebAgent([server.url, google.issuer, corp.issuer, facebook.issuer]);
  const isCallback = (url: URL) => url.origin === server.url && url.pathname.endsWith('/callback');

  beforeAll(async () => {
    // Each peer a site of its own (Gatehouse is on 127.0.0.1): the agent applies Chromium's cross-site cookie rules.
    [google, corp, facebook] = await Promise.all([openOidcPeer('127.0.0.2'), openOidcPeer('127.0.0.3'), openOidcPeer('127.0.0.4')]);
    server = await startServer(dialect, {
      config: {
        clients,
        signup: { enabled: true },
        providers: {
          google: { clientId: 'gh-google', clientSecret: secret, issuer: google.issuer },
          facebook: {
            clientId: 'gh-facebook', clientSecret: secret, scopes: ['openid', 'email'],
            authorizationUrl: `${facebook.issuer}/auth`, tokenUrl: `${facebook.issuer}/token`, userInfoUrl: `${facebook.issuer}/me`,
          },
          oidc: [{ id: 'corp', name: 'Corp SSO', issuer: corp.issuer, clientId: 'gh-corp', clientSecret: secret }],
        },
      },
    });
    await Promise.all([
      google.configure({ clients: [{ client_id: 'gh-google', client_secret: secret, redirect_uris: [`${server.url}/auth/google/callback`] }], emailInIdToken: true }),
      corp.configure({ clients: [{ client_id: 'gh-corp', client_secret: secret, redirect_uris: [`${server.url}/auth/oidc/corp/callback`] }] }),
      facebook.configure({ clients: [{ client_id: 'gh-facebook', client_secret: secret, redirect_uris: [`${server.url}/auth/facebook/callback`] }] }),
    ]);
  });
  afterAll(async () => {
    await server?.close();
    await Promise.all([google, corp, facebook].map((peer) => peer?.close()));
  });

  async function account(token: string): Promise<{ id: string; email: string; confirmed: boolean }> {
    const user = await server.request('GET', '/auth/user', { token });
    expect(user.status).toBe(200);
    const details = await server.request('GET', `/accounts/${user.body.id}`, { token });
    expect(details.status).toBe(200);
    return { id: user.body.id, email: details.body.email, confirmed: details.body.confirmed };
  }

  it('Google: sends the browser with PKCE S256, state and nonce, and delivers a token for a new verified person', async () => {
    google.accounts.set('g-ann', { email: 'ann@example.com', email_verified: true });
    const browser = agent();
    const start = await browser.request('GET', `${server.url}/auth/google?clientID=app`, { initiator: null });
    expect(start.status).toBe(302);
    const authorize = new URL(start.location!);
    expect(authorize.origin).toBe(google.issuer);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toBeTruthy();
    expect(authorize.searchParams.get('state')).toBeTruthy();
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${server.url}/auth/google/callback`);
    const flowCookie = start.headers.getSetCookie().find((line) => line.startsWith('gh_flow='))!;
    expect(flowCookie).toMatch(/HttpOnly/i);
    expect(flowCookie).toMatch(/SameSite=Lax/i);

    const token = exitOf(await browser.signIn(start.location!, 'g-ann')).searchParams.get('token')!;
    expect(token).toBeTruthy();
    expect(await account(token)).toMatchObject({ email: 'ann@example.com', confirmed: true });
    expect(browser.cookies(server.url).has('gh_flow')).toBe(false);
  });

  it('generic OIDC without a client: starts a cookie session (e-mail read from userinfo)', async () => {
    corp.accounts.set('c-bea', { email: 'bea@corp.example', email_verified: true });
    const browser = agent();
    const end = await browser.signIn(`${server.url}/auth/oidc/corp`, 'c-bea');
    expect(end.url).toBe(`${server.url}/auth/user`);
    expect(end.status).toBe(200);
    expect(JSON.parse(end.text).user).toBe('bea@corp.example');
  });

  it('Facebook (OAuth 2 + PKCE + state, Graph-style user-info): delivers a token', async () => {
    facebook.accounts.set('fb-cid', { email: 'cid@example.com' });
    const browser = agent();
    const start = await browser.request('GET', `${server.url}/auth/facebook?clientID=app`, { initiator: null });
    const authorize = new URL(start.location!);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('nonce')).toBeNull();
    const token = exitOf(await browser.signIn(start.location!, 'fb-cid')).searchParams.get('token')!;
    expect(await account(token)).toMatchObject({ email: 'cid@example.com', confirmed: true });
  });

  it('a verified e-mail logs into the existing password account and links it; the next login uses the link', async () => {
    const existing = await registerAndLogin(server, 'dora@example.com');
    google.accounts.set('g-dora', { email: 'dora@example.com', email_verified: true });
    const first = exitOf(await agent().signIn(`${server.url}/auth/google?clientID=app`, 'g-dora')).searchParams.get('token')!;
    expect((await account(first)).id).toBe(existing.userId);
    // The provider's e-mail changes: the link (by subject), not the e-mail, finds the account now.
    google.accounts.set('g-dora', { email: 'dora-new@example.com', email_verified: true });
    const second = exitOf(await agent().signIn(`${server.url}/auth/google?clientID=app`, 'g-dora')).searchParams.get('token')!;
    expect((await account(second)).id).toBe(existing.userId);
  });

  it('an unverified e-mail never links to an existing account', async () => {
    await registerAndLogin(server, 'eve@example.com');
    corp.accounts.set('c-eve', { email: 'eve@example.com', email_verified: false });
    const exit = exitOf(await agent().signIn(`${server.url}/auth/oidc/corp?clientID=app`, 'c-eve'));
    expect(exit.searchParams.get('error')).toBe('conflict');
    expect(exit.searchParams.get('token')).toBeNull();
  });

  it('an account made from an unverified e-mail stays unconfirmed', async () => {
    corp.accounts.set('c-fay', { email: 'fay@example.com', email_verified: false });
    const end = await agent().signIn(`${server.url}/auth/oidc/corp`, 'c-fay');
    // No e-mail confirmation is required to log in by default: the session starts, the account stays unconfirmed.
    expect(end.url).toBe(`${server.url}/auth/user`);
    expect(JSON.parse(end.text).user).toBe('fay@example.com');
    const listed = await findConfirmed(server, 'fay@example.com');
    expect(listed).toBe(false);
  });

  it.each(['google', 'facebook'] as const)('a tampered state at %s returns to the client with an error', async (name) => {
    const peer = name === 'google' ? google : facebook;
    peer.accounts.set('gil', { email: 'gil@example.com', email_verified: true });
    const browser = agent();
    const held = await browser.signIn(`${server.url}/auth/${name}?clientID=app`, 'gil', isCallback);
    const url = new URL(held.pending!);
    expect(url.searchParams.get('code')).toBeTruthy();
    url.searchParams.set('state', 'forged-state');
    const exit = exitOf(await browser.follow(url.href, { initiator: held.initiator }));
    expect(exit.searchParams.get('error')).toBe('invalid-request');
    expect(exit.searchParams.get('token')).toBeNull();
  });

  it('a missing state is refused too', async () => {
    google.accounts.set('g-hal', { email: 'hal@example.com', email_verified: true });
    const browser = agent();
    const held = await browser.signIn(`${server.url}/auth/google?clientID=app`, 'g-hal', isCallback);
    const url = new URL(held.pending!);
    url.searchParams.delete('state');
    expect(exitOf(await browser.follow(url.href, { initiator: held.initiator })).searchParams.get('error')).toBe('invalid-request');
  });

  it('a return without the flow cookie, or with a forged one, is refused (problem+json: no client is known)', async () => {
    for (const tamper of ['drop', 'forge'] as const) {
      corp.accounts.set('c-ida', { email: 'ida@example.com', email_verified: true });
      const browser = agent();
      const held = await browser.signIn(`${server.url}/auth/oidc/corp?clientID=app`, 'c-ida', isCallback);
      const jar = browser.cookies(server.url);
      if (tamper === 'drop') jar.delete('gh_flow');
      else {
        const cookie = jar.get('gh_flow')!;
        const flow = JSON.parse(Buffer.from(cookie.value.split('.')[0]!, 'base64url').toString('utf8'));
        flow.clientId = null;
        jar.set('gh_flow', { ...cookie, value: `${Buffer.from(JSON.stringify(flow)).toString('base64url')}.${'0'.repeat(43)}` });
      }
      const answer = await browser.follow(held.pending!, { initiator: held.initiator });
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toContain('application/problem+json');
      expect(JSON.parse(answer.text).code).toBe('invalid-request');
    }
  });

  it('error=access_denied from the provider returns to the client with an error', async () => {
    const browser = agent();
    const page = await browser.follow(`${server.url}/auth/oidc/corp?clientID=app`);
    expect(page.status).toBe(200);
    const abort = /href="([^"]*\/abort)"/.exec(page.text)![1]!;
    const held = await browser.follow(new URL(abort, page.url).href, { initiator: page.url, stopBefore: isCallback });
    expect(new URL(held.pending!).searchParams.get('error')).toBe('access_denied');
    const exit = exitOf(await browser.follow(held.pending!, { initiator: held.initiator }));
    expect(exit.searchParams.get('error')).toBe('invalid-request');
  });

  it('refuses a client that disabled the strategy (403), an unknown client (400) and an unknown provider (404)', async () => {
    for (const path of ['/auth/google?clientID=no-google', '/auth/oidc/corp?clientID=no-google']) {
      const answer = await server.request('GET', path);
      expect(answer.status).toBe(403);
      expect(answer.body.code).toBe('login-method-disabled');
    }
    expect((await server.request('GET', '/auth/facebook?clientID=no-google')).status).toBe(302);
    expect((await server.request('GET', '/auth/google?clientID=nope')).status).toBe(400);
    expect((await server.request('GET', '/auth/oidc/nope')).status).toBe(404);
    expect((await server.request('GET', '/auth/oidc/nope/callback')).status).toBe(404);
  });
});

/** The account's `confirmed` as an administrator sees it: straight from the database. */
async function findConfirmed(server: TestServer, email: string): Promise<boolean | undefined> {
  const db = server.app.services.database.db;
  const row = await db.selectFrom('accounts').select('confirmed').where('email', '=', email).executeTakeFirst();
  return row ? Boolean(row.confirmed) : undefined;
}
