import * as client from 'openid-client';
import type { Page } from 'playwright-core';
import { addOidcClient, startRelyingParty, type RelyingParty } from './oidc-clients.js';
import type { TestServer } from './server.js';

/**
 * An app signing in with Gatehouse through openid-client 6 (unmodified): a first-party OpenID client `clientID`
 * registered on `server`, its web server on 127.0.0.1 (a site apart from Gatehouse's 127.0.0.3), and the library's
 * configuration from discovery.
 */
export interface OidcApp {
  rp: RelyingParty;
  config: client.Configuration;
  redirectUri: string;
  close(): Promise<void>;
}

export async function startOidcApp(server: TestServer, clientID = 'app'): Promise<OidcApp> {
  const rp = await startRelyingParty('127.0.0.1');
  const secret = `${clientID}-secret-0123456789abcdef-0123456789`;
  const redirectUri = `${rp.origin}/cb`;
  await addOidcClient(server, clientID, { redirectUris: [redirectUri], firstParty: true }, secret);
  const config = await client.discovery(new URL(server.url), clientID, secret, undefined, { execute: [client.allowInsecureRequests] });
  return { rp, config, redirectUri, close: () => rp.close() };
}

/** One authorization the app started: the URL to send the browser to, and what the answer must match. */
export interface Authorization {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

/** Starts an authorization (code + PKCE S256, state, nonce) as an app would; `extra` adds parameters (`login_hint` …). */
export async function authorization(app: OidcApp, extra: Record<string, string> = {}): Promise<Authorization> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(app.config, {
    redirect_uri: app.redirectUri, scope: 'openid email', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, nonce, ...extra,
  });
  return { url, verifier, state, nonce };
}

/** Waits until the browser reaches the app's redirect URI, then exchanges the code as the app does; answers the ID token's claims. */
export async function codeExchange(app: OidcApp, page: Page, started: Authorization): Promise<client.IDToken> {
  await page.waitForURL((url) => url.href.startsWith(`${app.redirectUri}?`));
  const tokens = await client.authorizationCodeGrant(app.config, new URL(page.url()), { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce });
  return tokens.claims()!;
}
