import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { RelyingParty } from './oidc-clients.js';
import { freePort } from './ports.js';
import { goodPassword, startServer, type TestDatabase, type TestServer } from './server.js';

/**
 * The steps of Gatehouse's OpenID flows that several suites share, written with nothing but fetch, Chromium and jose
 * (an independent check of signatures) — so that what a suite asserts about the protocol comes from the library
 * under test, or from the raw answer.
 */

/** One authorization request: its URL, and the PKCE verifier, state and nonce a client keeps for the exchange. */
export interface AuthorizationRequest {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
  redirectUri: string;
}

const random = () => randomBytes(32).toString('base64url');

/** RFC 7636 S256: the challenge of a verifier. */
export const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/** An authorization request of `clientId` with S256 PKCE, state and nonce; `extra` adds or overrides parameters. */
export function authorizationRequest(server: TestServer, clientId: string, redirectUri: string, extra: Record<string, string> = {}): AuthorizationRequest {
  const verifier = random();
  const state = random();
  const nonce = random();
  const url = new URL('/oidc/auth', server.url);
  const params = { client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid email offline_access', state, nonce, code_challenge: s256(verifier), code_challenge_method: 'S256', ...extra };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return { url, verifier, state, nonce, redirectUri };
}

/** Fills the hosted login's password form (the page must show it) and sends it. */
export async function submitHostedLogin(page: Page, email: string, password = goodPassword): Promise<void> {
  await page.waitForURL(/\/auth\/login\?/);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await page.click('form[action^="/auth/login"] button[type=submit]');
}

/** Waits until the browser is back at the relying party; answers where it landed. */
export async function backAtRelyingParty(page: Page, rp: RelyingParty): Promise<URL> {
  await page.waitForURL((url) => url.origin === rp.origin);
  return new URL(page.url());
}

/** Every URL the page's main frame showed while `walk` ran (to tell whether a login page was shown at all). */
export async function pagesShownDuring(page: Page, walk: () => Promise<void>): Promise<string[]> {
  const shown: string[] = [];
  const record = (frame: ReturnType<Page['mainFrame']>) => {
    if (frame === page.mainFrame()) shown.push(frame.url());
  };
  page.on('framenavigated', record);
  try {
    await walk();
  } finally {
    page.off('framenavigated', record);
  }
  return shown;
}

/** A raw answer of one of the provider's endpoints. */
export interface EndpointAnswer {
  status: number;
  body: Record<string, any>;
}

/** RFC 6749 §2.3.1: the client's id and secret, form-encoded, in a Basic header. */
export function basicAuth(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** POSTs a form to one of the provider's endpoints (`/oidc/token`, …) as the client, by Basic auth when a secret is given. */
export async function postToProvider(server: TestServer, path: string, form: Record<string, string>, client?: { id: string; secret: string }): Promise<EndpointAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (client) headers.authorization = basicAuth(client.id, client.secret);
  const response = await fetch(new URL(path, server.url), { method: 'POST', headers, body: new URLSearchParams(form) });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

/** The code exchange of `request` for the code in `callback`, as the client `client`; an override of undefined leaves the parameter out. */
export function exchangeCode(server: TestServer, request: AuthorizationRequest, callback: URL, client: { id: string; secret: string }, override: Record<string, string | undefined> = {}): Promise<EndpointAnswer> {
  const form = { grant_type: 'authorization_code', code: callback.searchParams.get('code') ?? '', redirect_uri: request.redirectUri, code_verifier: request.verifier, ...override };
  const sent = Object.fromEntries(Object.entries(form).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return postToProvider(server, '/oidc/token', sent, client);
}

/** RFC 7662: whether the token is active for the client. */
export async function isActive(server: TestServer, token: string, client: { id: string; secret: string }): Promise<boolean> {
  const answer = await postToProvider(server, '/oidc/token/introspection', { token }, client);
  expect(answer.status).toBe(200);
  return answer.body.active as boolean;
}

/**
 * How many opaque access tokens and refresh tokens the provider holds: "nothing was issued" is this number unchanged.
 * (JWT access tokens are not stored; a sign-in's access token without a resource is opaque, so it counts.)
 */
export async function issuedTokenCount(server: TestServer): Promise<number> {
  const row = await server.app.services.database.db.selectFrom('oidc_records')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('model', 'in', ['AccessToken', 'RefreshToken', 'ClientCredentials'])
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/**
 * Two nodes of one cluster on one PostgreSQL database, as behind a load balancer: A listens on 127.0.0.3 (the issuer,
 * a site of its own for Chromium), B on 127.0.0.1 speaks for the same issuer and shares A's clock and mail capture.
 */
export async function startTwoProviderNodes(database: TestDatabase, config: Record<string, unknown>): Promise<[TestServer, TestServer]> {
  const port = await freePort();
  const a = await startServer('postgres', { database, host: '127.0.0.3', port, config });
  const b = await startServer('postgres', { database, smtp: a.smtp, clock: a.clock, config: { ...config, server: { baseUrl: `http://127.0.0.3:${port}` } } });
  return [a, b];
}

/**
 * Exchanges the code in `callback` and answers the ID token's claims, its signature checked against the provider's
 * JWKS with jose. `issuer`: the provider's issuer when it is not the server's own URL (a `localhost` base URL).
 */
export async function verifiedIdToken(
  server: TestServer, request: AuthorizationRequest, callback: URL, client: { id: string; secret: string }, issuer = server.url,
): Promise<JWTPayload> {
  const exchange = await exchangeCode(server, request, callback, client);
  expect(exchange.status, JSON.stringify(exchange.body)).toBe(200);
  const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', server.url));
  return (await jwtVerify(exchange.body.id_token as string, jwks, { issuer, audience: client.id })).payload;
}

/** The Gatehouse session the browser's auth cookie for `origin` names, read from the database. */
export async function browserSessionOf(server: TestServer, context: BrowserContext, origin = server.url) {
  const cookie = (await context.cookies(origin)).find((c) => c.name === server.config.cookie.name);
  expect(cookie, 'the browser has a Gatehouse session').toBeTruthy();
  const id = decodeURIComponent(cookie!.value).split('.')[0]!;
  return server.app.services.database.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}
