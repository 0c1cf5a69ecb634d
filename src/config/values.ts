/**
 * Checks of single configuration values (URLs, cron, patterns, e-mail, cookie names): each normalises a valid value
 * or throws `Invalid` with what was expected, for the schema's fields to use.
 */
import { Cron } from 'croner';
import { describeValue } from './durations.js';
import { Invalid, requiredStr, str, type Ctx, type Field } from './fields.js';
import { maskUrlPassword } from './mask.js';

/** Parses a URL of the given schemes; the error shows the value with any userinfo password masked. */
function parseUrl(value: string, protocols: readonly string[], what: string): URL {
  const url = URL.canParse(value.trim()) ? new URL(value.trim()) : undefined;
  if (url === undefined || !protocols.includes(url.protocol)) {
    throw new Invalid(`must be ${what} (got ${describeValue(maskUrlPassword(value))})`);
  }
  return url;
}

/** An absolute URL of the given schemes, kept as written (trimmed). */
export function url(protocols: readonly string[], what: string): Field<string> {
  return requiredStr((value) => {
    parseUrl(value, protocols, what);
    return value.trim();
  });
}

const HTTP = ['http:', 'https:'] as const;
/** An absolute http(s) URL, trimmed. */
export const checkHttpUrl = (value: string): string => (parseUrl(value, HTTP, 'an http:// or https:// URL'), value.trim());
/** A field holding an absolute http(s) URL, with a default. */
export const httpUrl = (fallback: string | ((ctx: Ctx) => string)): Field<string> => str(fallback, checkHttpUrl);

/** server.baseUrl: http(s), no query or fragment, stored without a trailing slash. */
export function baseUrl(value: string): string {
  const parsed = parseUrl(value, HTTP, 'an http:// or https:// URL');
  if (parsed.search !== '' || parsed.hash !== '') throw new Invalid(`must not have a query or fragment (got ${describeValue(value)})`);
  return parsed.href.replace(/\/+$/, '');
}

/** A redirect target after SAML/CAS login: an absolute http(s) URL or a path on this server. */
export function urlOrPath(value: string): string {
  if (/^\/(?!\/)/.test(value.trim())) return value.trim();
  parseUrl(value, HTTP, 'an http(s) URL or a path starting with "/"');
  return value.trim();
}

/** database.url: `sqlite:<path>`, `sqlite::memory:` or a PostgreSQL URL. */
export function databaseUrl(value: string): string {
  const text = value.trim();
  const what = 'sqlite:<path>, sqlite::memory: or a postgres:// URL';
  if (text.startsWith('sqlite:')) {
    if (text.length === 'sqlite:'.length) throw new Invalid(`must be ${what} (got ${describeValue(value)})`);
    return text;
  }
  parseUrl(text, ['postgres:', 'postgresql:'], what);
  return text;
}

/** cas.serverUrl always ends in `/` so `<serverUrl>login` (CONTRACT §5) is a plain concatenation. */
export function casServerUrl(value: string): string {
  parseUrl(value, HTTP, 'an http:// or https:// URL');
  const text = value.trim();
  return text.endsWith('/') ? text : `${text}/`;
}

/** schedule.cron: checked by croner itself, so a start never fails on a pattern the scheduler refuses. */
export function cronExpression(value: string): string {
  try {
    new Cron(value, { paused: true }).stop();
  } catch (error) {
    throw new Invalid(`must be a cron expression such as "0 3 * * *" (${(error as Error).message})`);
  }
  return value;
}

/** password.policy.custom: a pattern compiled as the policy will compile it. */
export function regExpSource(value: string, index: number): string {
  try {
    // The 'u' flag, as the policy compiles them: a pattern valid only without it must fail here, not at start-up.
    new RegExp(value, 'u');
  } catch (error) {
    throw new Invalid(`item ${index}: not a valid regular expression (${(error as Error).message})`);
  }
  return value;
}

/** An address alone (admin.email). */
export function emailAddress(value: string): string {
  if (!/^[^\s@]+@[^\s@]+$/.test(value.trim())) throw new Invalid(`must be an e-mail address (got ${describeValue(value)})`);
  return value.trim();
}

/** A mailbox with an optional display name (email.from). */
export function mailbox(value: string): string {
  if (!/[^\s@<]+@[^\s@>]+/.test(value)) throw new Invalid(`must contain an e-mail address, e.g. "Gatehouse <no-reply@example.com>" (got ${describeValue(value)})`);
  return value.trim();
}

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** cookie.name: an RFC 6265 token. */
export function cookieName(value: string): string {
  if (!COOKIE_NAME.test(value)) throw new Invalid(`must be a cookie name (letters, digits and !#$%&'*+-.^_\`|~) (got ${describeValue(value)})`);
  return value;
}

/** cookie.path: `auto` or a path without separators or control characters. */
export function cookiePath(value: string): string {
  if (value === 'auto') return value;
  if (!value.startsWith('/') || /[;\s\x00-\x1f\x7f]/.test(value)) throw new Invalid(`must be "auto" or a path starting with "/" (got ${describeValue(value)})`);
  return value;
}

/** providers.oidc[].id: lower-case, URL-safe, since it is a path segment (`/auth/oidc/{id}`). */
export function oidcId(value: string): string {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(value)) throw new Invalid(`must match /^[a-z0-9][a-z0-9_-]*$/ (got ${describeValue(value)})`);
  return value;
}

/** Longest client or product name: it stands in page headings ("Sign in to …") and titles. */
export const MAX_CLIENT_NAME_LENGTH = 100;

/** A short line of text, trimmed; no control characters (it is shown on hosted pages). */
function displayName(value: string): string {
  const text = value.trim();
  if (text === '' || text.length > MAX_CLIENT_NAME_LENGTH || /[\u0000-\u001f\u007f]/.test(text)) {
    throw new Invalid(`must be 1 to ${MAX_CLIENT_NAME_LENGTH} characters without control characters (got ${describeValue(value)})`);
  }
  return text;
}

/** clients[].name (and the API's and CLI's `name`): what the hosted pages call the application. */
export const clientName = displayName;
/** branding.productName: the product in every hosted page's title and header. */
export const productName = displayName;

/**
 * branding.logoUrl / branding.css: an http(s) URL, or a path on this server (served by a proxy in front of it). The
 * pages' CSP then allows that URL's origin (or 'self'); userinfo is refused, as it would end up in every page.
 */
export function assetUrl(value: string): string {
  const text = value.trim();
  if (/^\/(?!\/)[^\s"'<>\\]*$/.test(text)) return text;
  const parsed = parseUrl(text, HTTP, 'an http(s) URL or a path starting with "/"');
  if (parsed.username !== '' || parsed.password !== '') throw new Invalid('must not contain a user name or password');
  if (/[\s"'<>\\]/.test(text)) throw new Invalid(`must not contain spaces, quotes, "<", ">" or "\\" (got ${describeValue(text)})`);
  return text;
}

/** branding.primaryColor: a hex colour only, since it is written into the pages' style sheet. */
export function hexColour(value: string): string {
  const text = value.trim();
  if (!/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(text)) throw new Invalid(`must be a hex colour such as "#0b5fff" or "#06c" (got ${describeValue(value)})`);
  return text.toLowerCase();
}
