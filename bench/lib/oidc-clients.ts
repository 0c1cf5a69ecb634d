/**
 * The two OpenID clients the bench server declares in its configuration (`clients[]`, as a deployment would), and
 * what a client of each sends: a service with client credentials, and a web app with the authorization code and
 * PKCE. Why declared at start: the bench server has no administrator to register them through the API, and two
 * client rows change nothing the other scenarios measure.
 */
import { createHash } from 'node:crypto';

/** Where the web app's codes go; never requested (the bench reads the code off the redirect). */
export const BENCH_REDIRECT_URI = 'http://127.0.0.1:9/callback';

/** The service: client credentials only, its secret by HTTP Basic (the token endpoint checks its SHA-256). */
export const SERVICE_CLIENT = { id: 'bench-service', secret: 'bench-service-secret-0123456789abcdef', scope: 'orders:read' } as const;

/** The web app: authorization code (and refresh), first party so that no consent page is in the way. */
export const WEB_CLIENT = { id: 'bench-web', secret: 'bench-web-secret-0123456789abcdef-0123', scope: 'openid profile email' } as const;

/** The configuration's `clients` items for both (bench/children/server.ts). */
export function benchOidcClients(): Array<Record<string, unknown>> {
  return [
    {
      clientID: SERVICE_CLIENT.id, callbackURL: 'http://127.0.0.1:9/unused', name: 'Bench service',
      redirectUris: [], grantTypes: ['client_credentials'], scopes: [SERVICE_CLIENT.scope], clientSecret: SERVICE_CLIENT.secret,
    },
    {
      clientID: WEB_CLIENT.id, callbackURL: BENCH_REDIRECT_URI, name: 'Bench web app', firstParty: true,
      redirectUris: [BENCH_REDIRECT_URI], grantTypes: ['authorization_code', 'refresh_token'], scopes: WEB_CLIENT.scope.split(' '),
      clientSecret: WEB_CLIENT.secret,
    },
  ];
}

/** RFC 6749 §2.3.1 client_secret_basic: the id and secret form-encoded, then Base64 (RFC 6749 Appendix B). */
export function basicAuth(client: { id: string; secret: string }): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(client.id)}:${encode(client.secret)}`).toString('base64')}`;
}

/**
 * One PKCE verifier for every code (RFC 7636): each code carries its own copy of the challenge, and the provider
 * checks the verifier against it (S256) at each exchange, so sharing one costs the server nothing less.
 */
export const CODE_VERIFIER = 'bench-pkce-verifier-0123456789abcdefghijklmnopqrstuvwxyz';
export const CODE_CHALLENGE = createHash('sha256').update(CODE_VERIFIER).digest('base64url');

/** The client-credentials request body; a fixed body is faithful here, since the grant keeps no state. */
export const CLIENT_CREDENTIALS_BODY = new URLSearchParams({ grant_type: 'client_credentials', scope: SERVICE_CLIENT.scope }).toString();

/** The code exchange's body for `code` (RFC 6749 §4.1.3 with RFC 7636's verifier). */
export function codeExchangeBody(code: string): string {
  return new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: BENCH_REDIRECT_URI, code_verifier: CODE_VERIFIER }).toString();
}

/** The authorization request's path (RFC 6749 §4.1.1, PKCE S256) that the minting loop sends again and again. */
export function authorizationPath(state: string): string {
  const query = new URLSearchParams({
    client_id: WEB_CLIENT.id, response_type: 'code', redirect_uri: BENCH_REDIRECT_URI, scope: WEB_CLIENT.scope,
    code_challenge: CODE_CHALLENGE, code_challenge_method: 'S256', state,
  });
  return `/oidc/auth?${query.toString()}`;
}
