/**
 * `oidc.resources[]`: the register of resource servers (APIs) the OpenID provider issues access tokens for (RFC 8707
 * resource indicators, RFC 9068 JWTs) — an extension of CONTRACT §2, as Auth0's APIs or Logto's API resources.
 */
import { describeValue } from './durations.js';
import { duration, Invalid, nullable, requiredStr, strList, type Spec } from './fields.js';
import { MAX_SCOPE_LENGTH, SCOPE_PATTERN, STANDARD_SCOPES } from './oidc-client-rules.js';

/**
 * The resource a client-credentials token is for when the client names none: the client itself (CONTRACT §5 `aud`
 * the client). Why a URN: RFC 8707 indicators are absolute URIs, and a client id is not one. Reserved: no API of the
 * register may take it.
 */
export const CLIENT_RESOURCE = 'urn:gatehouse:client';

/** One API of the register. */
export interface OidcResource {
  /** Its RFC 8707 resource indicator, matched exactly as written; the `aud` of its access tokens. */
  indicator: string;
  /** A name for people (the consent page); null shows the indicator. */
  name: string | null;
  /** The scopes the API understands (permission strings such as `orders:read`); its tokens carry no others. */
  scopes: string[];
  /** The client IDs that may ask for tokens for it; any other client is refused `invalid_target`. */
  clients: string[];
  /** Lifetime of its access tokens; null = `oidc.accessTokenTtl`. */
  accessTokenTtl: number | null;
}

const scopeRule = new RegExp(SCOPE_PATTERN, 'u');

/** RFC 8707 §2: an absolute URI without a fragment; the client's own URN is reserved. */
export function resourceIndicator(value: string): string {
  if (!URL.canParse(value)) throw new Invalid(`must be an absolute URI such as https://api.example.com (RFC 8707) (got ${describeValue(value)})`);
  if (value.includes('#')) throw new Invalid(`must not contain a fragment (RFC 8707 §2) (got ${describeValue(value)})`);
  if (value === CLIENT_RESOURCE) throw new Invalid(`${CLIENT_RESOURCE} is reserved for a client's tokens for itself`);
  return value;
}

/** A scope an API understands: an RFC 6749 scope token that is not one of OpenID's (those are for the ID token and UserInfo). */
function resourceScope(value: string, index: number): string {
  if (value.length > MAX_SCOPE_LENGTH || !scopeRule.test(value)) {
    throw new Invalid(`item ${index}: must be 1 to ${MAX_SCOPE_LENGTH} printable characters without spaces, " or \\ (RFC 6749 §3.3), e.g. orders:read`);
  }
  if (STANDARD_SCOPES.includes(value)) throw new Invalid(`item ${index}: ${value} is an OpenID scope, not an API's (got ${describeValue(value)})`);
  return value;
}

export const resourceSpec: Spec<OidcResource> = {
  indicator: requiredStr(resourceIndicator),
  name: nullable(requiredStr()),
  scopes: strList([], resourceScope),
  clients: strList([]),
  accessTokenTtl: nullable(duration(0, { positive: true })),
};
