import { expect } from 'vitest';
import { refreshTarget, type Browser } from './helpers/browser.js';
import { IDP_SSO_URL, MetadataFile, decodeAuthnRequest, idpMetadataXml, loginResponse, requestIdOf, samlIdp, samlSp, type TestKey } from './helpers/saml-idp.js';
import { startServer, type Answer, type Dialect, type StartOptions, type TestServer } from './helpers/server.js';

/** Shared by the SAML suites: a Gatehouse with SAML against a metadata file, and the steps of a login. */

export const SP_ENTITY_ID = 'https://gatehouse.test/sp';
export const IDP_ORIGIN = new URL(IDP_SSO_URL).origin;

export interface Setup {
  server: TestServer;
  file: MetadataFile;
  spMetadata: string;
  close(): Promise<void>;
}

/**
 * Gatehouse on `dialect` trusting `certs` in the IdP metadata; `saml` and `extra` add to its configuration, `start`
 * shares a database and clock with another node.
 */
export async function setup(dialect: Dialect, certs: TestKey[], saml: Record<string, unknown> = {}, extra: Record<string, unknown> = {}, start: StartOptions = {}): Promise<Setup> {
  const file = new MetadataFile();
  file.write(idpMetadataXml(certs));
  const server = await startServer(dialect, {
    ...start,
    config: {
      saml: {
        enabled: true, relyingPartyId: SP_ENTITY_ID, idpMetadataUrl: file.url, idpMetadataMaxAge: 3600,
        userAutoProvisioning: true, redirectMethod: 'get', redirectSuccessUrl: '/welcome', redirectFailureUrl: '/sorry', ...saml,
      },
      ...extra,
    },
  });
  const spMetadata = (await server.request('GET', '/auth/saml/metadata')).text;
  return { server, file, spMetadata, close: async () => { await server.close(); file.remove(); } };
}

/** An AuthnRequest as the IdP receives it, with the RelayState that travels with it. */
export interface StartedLogin {
  requestId: string;
  relayState: string;
  xml: string;
  encoded: string;
}

/** Starts a login in `browser` (`path` may carry `?clientID=`) and returns the AuthnRequest as the IdP receives it. */
export async function startLogin(browser: Browser, binding: 'get' | 'post' = 'get', path = '/auth/saml'): Promise<StartedLogin> {
  const answer = await browser.request('GET', path);
  // The pending request is kept on the server; the browser keeps only the nonce that binds the login to it.
  expect(answer.headers.getSetCookie()).toEqual([expect.stringMatching(BINDING_COOKIE)]);
  if (binding === 'get') {
    expect(answer.status).toBe(302);
    const location = new URL(answer.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(`${IDP_SSO_URL}/redirect`);
    const encoded = location.searchParams.get('SAMLRequest')!;
    const xml = decodeAuthnRequest(encoded, true);
    return { requestId: requestIdOf(xml), relayState: location.searchParams.get('RelayState')!, xml, encoded };
  }
  expect(answer.status).toBe(200);
  expect(answer.headers.get('content-type')).toContain('text/html');
  expect(answer.text).toContain(`action="${IDP_SSO_URL}/post"`);
  const encoded = /name="SAMLRequest" value="([^"]+)"/.exec(answer.text)![1]!;
  const relayState = /name="RelayState" value="([^"]+)"/.exec(answer.text)![1]!;
  const xml = decodeAuthnRequest(encoded, false);
  return { requestId: requestIdOf(xml), relayState, xml, encoded };
}

/** The browser-binding cookie as `GET /auth/saml` sets it: a random nonce, HttpOnly, Lax, SAML routes only, 10 minutes. */
export const BINDING_COOKIE = /^gh_saml=[\w-]{43}; Max-Age=600; Path=\/auth\/saml; HttpOnly(; Secure)?; SameSite=Lax$/;

/** The IdP's cross-site POST to the ACS, as a browser sends it: no cookie of ours rides on it (SameSite). */
export function postResponse(browser: Browser, samlResponse: string, relayState?: string) {
  const form: Record<string, string> = { SAMLResponse: samlResponse };
  if (relayState !== undefined) form.RelayState = relayState;
  return browser.request('POST', '/auth/saml', { form, headers: { origin: IDP_ORIGIN }, initiator: IDP_PAGE });
}

/** The IdP's page that auto-posts the Response, as the SameSite model sees it: another site than Gatehouse's. */
const IDP_PAGE = 'http://127.0.0.3/sso';

/**
 * Where the ACS sends the browser on: the landing page's refresh after a login (CONTRACT §5, the last hop is taken
 * from a page of our own), or the redirect of a failure — as a path when it stays on Gatehouse.
 */
export function landedAt(answer: Answer, server: { url: string }): string | null {
  if (answer.status !== 200) return answer.headers.get('location');
  const target = refreshTarget(answer.text, server.url);
  if (!target) return null;
  return target.origin === server.url ? target.pathname + target.search : target.href;
}

/**
 * Follows the ACS's page to the finish route when it leads there (a validated Response of a pending request), as
 * Chromium does: a navigation our own page starts, so the binding cookie rides along. Any other answer is returned.
 */
export async function followToFinish(browser: Browser, acs: Answer): Promise<Answer> {
  if (acs.status !== 200 || !finishCode(acs)) return acs;
  return browser.followRefresh(acs);
}

/** The code of the ACS page's refresh to `/auth/saml/finish`, or null when it leads elsewhere. */
export function finishCode(acs: Answer): string | null {
  const target = refreshTarget(acs.text, 'http://x');
  return target?.pathname === '/auth/saml/finish' ? target.searchParams.get('code') : null;
}

/** The IdP's POST to the ACS, then the hop from our page to the finish route: what a browser does with a Response. */
export async function respond(browser: Browser, samlResponse: string, relayState?: string): Promise<Answer> {
  return followToFinish(browser, await postResponse(browser, samlResponse, relayState));
}

/** A whole login: SP → IdP → ACS → finish, signed by `signer` for `email`. */
export async function fullLogin(s: Setup, browser: Browser, email: string, signer: TestKey, options: { binding?: 'get' | 'post' } = {}) {
  const { requestId, relayState } = await startLogin(browser, options.binding);
  const response = await loginResponse(samlIdp(signer), samlSp(s.spMetadata), requestId, email, s.server.clock.now());
  return { requestId, relayState, response, answer: await respond(browser, response, relayState) };
}

export function expectFailure(answer: { status: number; headers: Headers }, code = 'invalid-credentials') {
  expect(answer.status).toBe(303);
  const location = new URL(answer.headers.get('location')!, 'http://x');
  expect(location.pathname).toBe('/sorry');
  expect(location.searchParams.get('error')).toBe(code);
}
