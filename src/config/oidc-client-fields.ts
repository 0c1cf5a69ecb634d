import { createHash, timingSafeEqual } from 'node:crypto';
import type { JWK } from 'jose';

/** Grants a client may use at the OpenID provider's token endpoint (CONTRACT §5 "OpenID Connect provider"). */
export const OIDC_GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
/** How a client authenticates at the token endpoint; `none` is a public client (PKCE required). */
export const OIDC_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;

export type OidcGrantType = (typeof OIDC_GRANT_TYPES)[number];
export type OidcAuthMethod = (typeof OIDC_AUTH_METHODS)[number];

/**
 * A client's OpenID fields, kept beside seed 000's callbackURL and config (migration 2026_12_06_0007). Why one JSON
 * column: the provider reads them all at once per request, and none is queried by itself.
 */
export interface OidcClientFields {
  /** Where codes may be sent; matched exactly (no prefix, no wildcard). */
  redirectUris: string[];
  /** Where RP-initiated logout may return; matched exactly. */
  postLogoutRedirectUris: string[];
  grantTypes: OidcGrantType[];
  tokenEndpointAuthMethod: OidcAuthMethod;
  /** Scopes beyond `openid`, as a client may ask for them: `profile email offline_access roles groups` and permissions. */
  scopes: string[];
  /** A first-party client skips the consent page (oidc.consent). */
  firstParty: boolean;
  /** OIDC Back-Channel Logout 1.0: where the logout token is posted; null = none. */
  backchannelLogoutUri: string | null;
  /** `private_key_jwt`: the client's public keys, by value or by URL. */
  jwks: { keys: JWK[] } | null;
  jwksUri: string | null;
}

/** The fields of a client that registers only redirect URIs: code flow with refresh, secret by Basic, no first party. */
export function defaultOidcFields(redirectUris: string[]): OidcClientFields {
  return {
    redirectUris,
    postLogoutRedirectUris: [],
    grantTypes: ['authorization_code', 'refresh_token'],
    tokenEndpointAuthMethod: 'client_secret_basic',
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    firstParty: false,
    backchannelLogoutUri: null,
    jwks: null,
    jwksUri: null,
  };
}

/** Whether a client with these fields has a secret to authenticate with (and so needs one generated). */
export function usesClientSecret(fields: OidcClientFields | null): boolean {
  return fields !== null && (fields.tokenEndpointAuthMethod === 'client_secret_basic' || fields.tokenEndpointAuthMethod === 'client_secret_post');
}

/**
 * How a client secret is stored: its SHA-256. Why not a password hash: the secret is 32 random bytes made here, so
 * nobody can guess it from its hash, and the token endpoint checks it on every request.
 */
export function hashClientSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('base64url');
}

/** Compares a presented secret with the stored hash in constant time. */
export function clientSecretMatches(storedHash: string | null, presented: string): boolean {
  if (!storedHash) return false;
  const a = Buffer.from(hashClientSecret(presented));
  const b = Buffer.from(storedHash);
  return a.length === b.length && timingSafeEqual(a, b);
}
