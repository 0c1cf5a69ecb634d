import { isLoopback } from './rules.js';
import { callbackUrlProblem } from './client-urls.js';
import { checkJwks } from './oidc-client-jwks.js';
import {
  defaultOidcFields, OIDC_AUTH_METHODS, OIDC_GRANT_TYPES, type OidcAuthMethod, type OidcClientFields, type OidcGrantType,
} from './oidc-client-fields.js';

/*
 * The rules of a client's OpenID fields (CONTRACT §5 "OpenID Connect provider"), one declaration for the API, the
 * CLI and the configuration file (`clients[]`), so the three accept exactly the same clients.
 */

/** The OpenID fields as a caller gives them; absent or null is "not given" (the default then applies). */
export interface OidcFieldsInput {
  redirectUris?: readonly string[] | null | undefined;
  postLogoutRedirectUris?: readonly string[] | null | undefined;
  grantTypes?: readonly string[] | null | undefined;
  tokenEndpointAuthMethod?: string | null | undefined;
  scopes?: readonly string[] | null | undefined;
  firstParty?: boolean | null | undefined;
  backchannelLogoutUri?: string | null | undefined;
  jwks?: unknown;
  jwksUri?: string | null | undefined;
}

/** A problem with one field, named as the API names it (`redirectUris.2`, `jwks.keys.0`). */
export interface OidcFieldProblem {
  field: string;
  message: string;
}

/** The input keys that make a client an OpenID client. */
export const OIDC_INPUT_KEYS = [
  'redirectUris', 'postLogoutRedirectUris', 'grantTypes', 'tokenEndpointAuthMethod', 'scopes', 'firstParty',
  'backchannelLogoutUri', 'jwks', 'jwksUri',
] as const satisfies ReadonlyArray<keyof OidcFieldsInput>;

/** Most URIs in one list: enough for a web app's environments, few enough to read on one admin page. */
export const MAX_CLIENT_URIS = 20;
/** Most scopes a client may be allowed. */
export const MAX_CLIENT_SCOPES = 100;
/** Longest scope (a permission string can be long, a scope in a URL should not be). */
export const MAX_SCOPE_LENGTH = 256;
/** RFC 6749 §3.3 `scope-token`: printable ASCII without space, `"` and `\`. */
export const SCOPE_PATTERN = '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$';
/**
 * Scopes of OpenID Connect and of Gatehouse's claims (CONTRACT §5). Any other scope is a permission string, which
 * a caller may put on a client only when it holds it (see ClientService: no one acts above their rank).
 */
export const STANDARD_SCOPES: readonly string[] = ['openid', 'profile', 'email', 'offline_access', 'roles', 'groups', 'address', 'phone'];

const scopeRule = new RegExp(SCOPE_PATTERN, 'u');

/** Whether the input gives any OpenID field: only then is the client an OpenID client. */
export function givesOidcFields(input: OidcFieldsInput): boolean {
  return OIDC_INPUT_KEYS.some((key) => input[key] !== undefined && input[key] !== null);
}

/**
 * The OpenID fields of a client, completed from `defaultOidcFields`, or every problem with them; `fields` is null
 * (without problems) when the input gives none, and the client stays a seed-000 client.
 */
export function checkOidcFields(input: OidcFieldsInput): { fields: OidcClientFields | null; errors: OidcFieldProblem[] } {
  if (!givesOidcFields(input)) return { fields: null, errors: [] };
  const errors: OidcFieldProblem[] = [];
  const defaults = defaultOidcFields([]);
  const fields: OidcClientFields = {
    redirectUris: checkUris('redirectUris', input.redirectUris ?? defaults.redirectUris, errors),
    postLogoutRedirectUris: checkUris('postLogoutRedirectUris', input.postLogoutRedirectUris ?? defaults.postLogoutRedirectUris, errors),
    grantTypes: checkGrantTypes(input.grantTypes ?? defaults.grantTypes, errors),
    tokenEndpointAuthMethod: checkAuthMethod(input.tokenEndpointAuthMethod ?? defaults.tokenEndpointAuthMethod, errors),
    scopes: checkScopes(input.scopes ?? defaults.scopes, errors),
    firstParty: input.firstParty ?? defaults.firstParty,
    backchannelLogoutUri: optionalUri('backchannelLogoutUri', input.backchannelLogoutUri, errors),
    jwks: input.jwks === undefined || input.jwks === null ? null : checkJwks(input.jwks, errors),
    jwksUri: optionalUri('jwksUri', input.jwksUri, errors),
  };
  if (errors.length === 0) checkCombination(fields, errors);
  return errors.length ? { fields: null, errors } : { fields, errors };
}

/**
 * Why a redirect, logout or JWKS URI is refused, or null: the callbackURL's rule (absolute, no userinfo, no fragment,
 * matched as written) and https — plain http only on a loopback host (RFC 8252 §7.3 native apps, local development).
 */
export function oidcUriProblem(value: string): string | null {
  const problem = callbackUrlProblem(value);
  if (problem) return problem.replace('http:// or https:// URL', 'https:// URL');
  const url = new URL(value);
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    return 'must be an https:// URL (http:// only on a loopback host: localhost, 127.0.0.0/8, [::1])';
  }
  return null;
}

function checkUris(field: string, uris: readonly string[], errors: OidcFieldProblem[]): string[] {
  if (uris.length > MAX_CLIENT_URIS) {
    errors.push({ field, message: `must list at most ${MAX_CLIENT_URIS} URIs (got ${uris.length})` });
    return [];
  }
  uris.forEach((uri, index) => {
    const problem = oidcUriProblem(uri);
    if (problem) errors.push({ field: `${field}.${index}`, message: problem });
  });
  return [...new Set(uris)];
}

function optionalUri(field: string, uri: string | null | undefined, errors: OidcFieldProblem[]): string | null {
  if (uri === undefined || uri === null) return null;
  const problem = oidcUriProblem(uri);
  if (problem) errors.push({ field, message: problem });
  return uri;
}

function checkGrantTypes(grants: readonly string[], errors: OidcFieldProblem[]): OidcGrantType[] {
  if (grants.length === 0) errors.push({ field: 'grantTypes', message: `must name at least one of ${OIDC_GRANT_TYPES.join(', ')}` });
  grants.forEach((grant, index) => {
    if (!OIDC_GRANT_TYPES.includes(grant as OidcGrantType)) {
      errors.push({ field: `grantTypes.${index}`, message: `unknown grant type ${JSON.stringify(grant)}; use ${OIDC_GRANT_TYPES.join(', ')}` });
    }
  });
  return [...new Set(grants as OidcGrantType[])];
}

function checkAuthMethod(method: string, errors: OidcFieldProblem[]): OidcAuthMethod {
  if (!OIDC_AUTH_METHODS.includes(method as OidcAuthMethod)) {
    errors.push({ field: 'tokenEndpointAuthMethod', message: `unknown method ${JSON.stringify(method)}; use ${OIDC_AUTH_METHODS.join(', ')}` });
  }
  return method as OidcAuthMethod;
}

function checkScopes(scopes: readonly string[], errors: OidcFieldProblem[]): string[] {
  if (scopes.length > MAX_CLIENT_SCOPES) {
    errors.push({ field: 'scopes', message: `must list at most ${MAX_CLIENT_SCOPES} scopes (got ${scopes.length})` });
    return [];
  }
  scopes.forEach((scope, index) => {
    if (scope.length === 0 || scope.length > MAX_SCOPE_LENGTH || !scopeRule.test(scope)) {
      errors.push({ field: `scopes.${index}`, message: `must be 1 to ${MAX_SCOPE_LENGTH} printable characters without spaces, " or \\ (RFC 6749 §3.3), e.g. openid or orders:read` });
    }
  });
  return [...new Set(scopes)];
}

/** The rules between fields, checked once each field is valid by itself. */
function checkCombination(fields: OidcClientFields, errors: OidcFieldProblem[]): void {
  const grants = new Set(fields.grantTypes);
  const method = fields.tokenEndpointAuthMethod;
  if (grants.has('authorization_code') && fields.redirectUris.length === 0) {
    errors.push({ field: 'redirectUris', message: 'must list at least one URI for the authorization_code grant' });
  }
  if (grants.has('refresh_token') && !grants.has('authorization_code')) {
    errors.push({ field: 'grantTypes', message: 'refresh_token needs authorization_code (refresh tokens come from a sign-in)' });
  }
  if (method === 'none' && grants.has('client_credentials')) {
    errors.push({ field: 'grantTypes', message: 'client_credentials is not allowed with tokenEndpointAuthMethod none (a public client has no credentials to present)' });
  }
  if (method === 'private_key_jwt') {
    if (fields.jwks === null && fields.jwksUri === null) errors.push({ field: 'jwks', message: 'is required for private_key_jwt (or give jwksUri)' });
    if (fields.jwks !== null && fields.jwksUri !== null) errors.push({ field: 'jwksUri', message: 'must not be given with jwks: give the keys by value or by URL, not both' });
  } else {
    for (const field of ['jwks', 'jwksUri'] as const) {
      if (fields[field] !== null) errors.push({ field, message: 'is only for tokenEndpointAuthMethod private_key_jwt' });
    }
  }
}
