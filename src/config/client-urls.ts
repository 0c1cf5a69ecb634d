/*
 * The rule every URL a client registers follows (seed 000's callbackURL, the OpenID redirect and logout URIs).
 * Kept apart from the service so the configuration's reading of `clients[]` can apply it without the HTTP layer.
 */

/** Longest URL a client may register, as browsers and proxies reliably carry ~2 KB URLs. */
export const MAX_CLIENT_URL_LENGTH = 2048;

/** RFC 3986 §2: unreserved, reserved and `%`; anything else must be percent-encoded, so the stored text is the URL itself. */
const URI_CHARACTERS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]*$/;
const BAD_PERCENT = /%(?![0-9A-Fa-f]{2})/;

/**
 * Why a callbackURL is refused, or null. The URL is stored as written and compared character for character
 * (seed 000: tokens go only to the registered callbackURL), so nothing ambiguous is let in: the scheme is written
 * out (`http:foo` would be read as `http://foo/`), no userinfo (a `https://good.example@evil.example/` look-alike;
 * OAuth 2.1 §2.3.1 treats redirect URIs the same way) and no fragment (RFC 6749 §3.1.2, the token is appended).
 */
export function callbackUrlProblem(value: string): string | null {
  if (value.length === 0) return 'is required';
  if (value.length > MAX_CLIENT_URL_LENGTH) return `must be at most ${MAX_CLIENT_URL_LENGTH} characters`;
  if (/[\u0000-\u0020\u007f]/.test(value)) return 'must not contain spaces or control characters';
  if (!/^https?:\/\//i.test(value) || !URL.canParse(value)) return 'must be an absolute http:// or https:// URL';
  if (!URI_CHARACTERS.test(value) || BAD_PERCENT.test(value)) {
    return 'must contain only URL characters (RFC 3986): percent-encode others, write international host names in punycode';
  }
  if (value.includes('#')) return 'must not have a fragment (#…)';
  const authority = value.slice(value.indexOf('//') + 2).split(/[/?]/, 1)[0]!;
  if (authority.includes('@')) return 'must not contain userinfo (user:password@)';
  if (new URL(value).hostname === '') return 'must name a host';
  return null;
}
