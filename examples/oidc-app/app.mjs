// An app that lets Gatehouse sign its users in, with openid-client (any certified OpenID library works the same way).
// Run: GATEHOUSE_URL=http://localhost:8080 CLIENT_ID=my-app CLIENT_SECRET=… node examples/oidc-app/app.mjs
import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import * as oidc from 'openid-client';

/** Starts the app on `port`; returns it so a test can stop it. */
export async function startApp({ issuer, clientId, clientSecret, port = 3000, host = '127.0.0.1' }) {
  const base = `http://${host}:${port}`;
  // Discovery: every endpoint, the keys and what Gatehouse supports, from /.well-known/openid-configuration.
  const config = await oidc.discovery(new URL(issuer), clientId, clientSecret, undefined,
    new URL(issuer).protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : undefined);
  const sessions = new Map(); // the app's own sessions: cookie value → { pkce, state, nonce } or { claims, idToken }
  const sessionOf = (request) => sessions.get(/(?:^|; )app_session=([^;]+)/.exec(request.headers.cookie ?? '')?.[1]);

  const app = Fastify();
  app.get('/', async (request, reply) => {
    const session = sessionOf(request);
    if (!session?.claims) return reply.type('text/html').send('<a href="/login">Sign in with Gatehouse</a>');
    return reply.type('text/html').send(`<p id="who">Signed in as ${session.claims.email}</p><a href="/logout">Sign out</a>`);
  });
  app.get('/login', async (_request, reply) => {
    const id = randomBytes(16).toString('base64url');
    const flow = { verifier: oidc.randomPKCECodeVerifier(), state: oidc.randomState(), nonce: oidc.randomNonce() };
    sessions.set(id, flow);
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${base}/callback`, scope: 'openid email profile', state: flow.state, nonce: flow.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(flow.verifier), code_challenge_method: 'S256',
    });
    return reply.header('set-cookie', `app_session=${id}; HttpOnly; SameSite=Lax; Path=/`).redirect(url.href);
  });
  app.get('/callback', async (request, reply) => {
    const session = sessionOf(request);
    if (!session?.verifier) return reply.code(400).send('no sign-in in progress');
    const tokens = await oidc.authorizationCodeGrant(config, new URL(request.url, base), {
      pkceCodeVerifier: session.verifier, expectedState: session.state, expectedNonce: session.nonce,
    });
    Object.assign(session, { claims: tokens.claims(), idToken: tokens.id_token, verifier: undefined });
    return reply.redirect('/');
  });
  app.get('/logout', async (request, reply) => {
    const session = sessionOf(request);
    const url = oidc.buildEndSessionUrl(config, { id_token_hint: session?.idToken ?? '', post_logout_redirect_uri: `${base}/` });
    if (session) session.claims = undefined;
    return reply.redirect(url.href);
  });
  await app.listen({ port, host });
  return app;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { GATEHOUSE_URL = 'http://localhost:8080', CLIENT_ID = 'my-app', CLIENT_SECRET, PORT = '3000' } = process.env;
  await startApp({ issuer: GATEHOUSE_URL, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, port: Number(PORT) });
  console.log(`open http://127.0.0.1:${PORT}/`);
}
