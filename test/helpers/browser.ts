import { isIP } from 'node:net';
import type { Answer, TestServer } from './server.js';

/** One stored cookie with the attributes the server gave it. */
export interface StoredCookie {
  value: string;
  attributes: Record<string, string | true>;
  /** When the browser stored it (ms): Chromium's Lax-allowing-unsafe window counts from here. */
  created: number;
}

/**
 * Who started a request, as Chromium judges SameSite by it: `null` for the person (a typed URL, a bookmark), else
 * the URL of the page whose form, link, redirect chain or refresh led here. Every redirect of a chain keeps the
 * initiator of its first request — a provider's return is therefore foreign all the way to its end.
 */
export type Initiator = string | null;

/**
 * A URL's site as Chromium compares it for SameSite: scheme and host (the port does not count). Exact for IP
 * address hosts, which the tests use (each peer on its own loopback address); a domain name would need the
 * registrable domain from the Public Suffix List, so it is refused rather than modelled loosely.
 */
export function siteOf(url: string | URL): string {
  const parsed = new URL(url);
  if (!isIP(parsed.hostname.replace(/^\[|\]$/g, ''))) throw new Error(`siteOf models IP-address hosts only: ${parsed.hostname}`);
  return `${parsed.protocol}//${parsed.hostname}`;
}

/** Chromium's window in which a cookie without a SameSite attribute still rides a cross-site top-level POST. */
const LAX_ALLOWING_UNSAFE_MS = 2 * 60_000;

/**
 * Whether Chromium attaches `cookie` to a top-level navigation (or a same-site request) to `url` — verified against
 * Debian's chromium 156 (test/providers.*.browser.test.ts walk the same flows there):
 * - Strict only when the initiator is the target's site (or the person): never inside a chain a foreign page
 *   started, even on the redirects that come back to our own site;
 * - Lax also on a cross-site top-level GET; a cookie without SameSite counts as Lax, and for its first two minutes
 *   also rides a cross-site top-level POST (Lax-allowing-unsafe);
 * - None always (Chromium refuses to store it without Secure, see `parseSetCookie`).
 * Not modelled: Path, Domain and Secure matching — they never decide a test here.
 */
export function attaches(cookie: StoredCookie, url: string | URL, request: { method: string; initiator: Initiator }, now = Date.now()): boolean {
  const sameSite = request.initiator === null || siteOf(request.initiator) === siteOf(url);
  const attribute = typeof cookie.attributes.samesite === 'string' ? cookie.attributes.samesite.toLowerCase() : 'unspecified';
  if (sameSite || attribute === 'none') return true;
  if (attribute === 'strict') return false;
  if (['GET', 'HEAD'].includes(request.method.toUpperCase())) return true;
  return attribute !== 'lax' && request.method.toUpperCase() === 'POST' && now - cookie.created < LAX_ALLOWING_UNSAFE_MS;
}

/**
 * One Set-Cookie line: its name, and the cookie to store — `null` when it clears the cookie, `'refused'` when
 * Chromium would ignore the line (SameSite=None without Secure).
 */
export function parseSetCookie(line: string, now = Date.now()): { name: string; cookie: StoredCookie | null | 'refused' } {
  const [pair, ...rest] = line.split(';');
  const eq = pair!.indexOf('=');
  const name = pair!.slice(0, eq).trim();
  const value = pair!.slice(eq + 1).trim();
  const attributes: Record<string, string | true> = {};
  for (const part of rest) {
    const [key, ...v] = part.trim().split('=');
    attributes[key!.toLowerCase()] = v.length ? v.join('=') : true;
  }
  const expired = attributes['max-age'] === '0' || (typeof attributes.expires === 'string' && Date.parse(attributes.expires) <= now);
  const refused = typeof attributes.samesite === 'string' && attributes.samesite.toLowerCase() === 'none' && attributes.secure === undefined;
  if (refused) return { name, cookie: 'refused' };
  return { name, cookie: expired || value === '' ? null : { value, attributes, created: now } };
}

/**
 * A cookie-keeping client that behaves like a browser towards one server: it stores Set-Cookie (and forgets
 * cookies the server clears), sends them back as Chromium would (SameSite, see `attaches`), and sends `Origin`
 * on unsafe requests as browsers do. Its requests are same-site (a page of the server started them) unless
 * `initiator` names the foreign page that started the navigation — a provider's return, say.
 */
export class Browser {
  readonly cookies = new Map<string, StoredCookie>();
  lastSetCookies: string[] = [];

  constructor(
    private readonly server: TestServer,
    private readonly options: { userAgent?: string; origin?: string | null } = {},
  ) {}

  async request(method: string, path: string, init: { form?: Record<string, string>; json?: unknown; headers?: Record<string, string>; initiator?: Initiator } = {}): Promise<Answer> {
    const url = this.server.url + path;
    const headers: Record<string, string> = { 'user-agent': this.options.userAgent ?? 'test-browser/1.0', ...init.headers };
    const request = { method, initiator: init.initiator === undefined ? this.server.url : init.initiator };
    const sent = [...this.cookies].filter(([, cookie]) => attaches(cookie, url, request));
    if (sent.length) headers.cookie = sent.map(([name, c]) => `${name}=${c.value}`).join('; ');
    const origin = this.options.origin === undefined ? this.server.url : this.options.origin;
    if (!['GET', 'HEAD'].includes(method) && origin !== null) headers.origin ??= origin;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    } else if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    }
    const response = await fetch(url, { method, headers, body, redirect: 'manual' });
    this.lastSetCookies = response.headers.getSetCookie();
    for (const line of this.lastSetCookies) this.store(line);
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  }

  /**
   * Follows the `<meta http-equiv="refresh">` of a page of this server (the landing hop after a provider login)
   * as Chromium does: a navigation the page itself starts, so same-site. Fails when the page has none, or leads
   * off this server.
   */
  async followRefresh(page: Answer): Promise<Answer> {
    const target = refreshTarget(page.text, this.server.url);
    if (!target) throw new Error(`no meta refresh on the page: ${page.status} ${page.text.slice(0, 300)}`);
    if (target.origin !== this.server.url) throw new Error(`the refresh leads off this server: ${target.href}`);
    return this.request('GET', target.pathname + target.search);
  }

  /** Logs in through `POST /auth/cookie`. */
  login(username: string, password: string, maxAge?: number): Promise<Answer> {
    const form: Record<string, string> = { auth_username: username, auth_password: password };
    if (maxAge !== undefined) form.auth_maxage = String(maxAge);
    return this.request('POST', '/auth/cookie', { form });
  }

  private store(line: string): void {
    const { name, cookie } = parseSetCookie(line);
    if (cookie === null) this.cookies.delete(name);
    else if (cookie !== 'refused') this.cookies.set(name, cookie);
  }
}

/** Where a page's `<meta http-equiv="refresh" content="N;url=…">` leads, resolved against `base`; null without one. */
export function refreshTarget(html: string, base: string): URL | null {
  const tag = /<meta\b[^>]*http-equiv="refresh"[^>]*>/i.exec(html)?.[0];
  const content = tag && /\bcontent="([^"]*)"/i.exec(tag)?.[1];
  const url = content && /^\s*\d*(?:\.\d*)?\s*[;,]\s*url\s*=\s*(.+)$/i.exec(decodeEntities(content))?.[1];
  return url ? new URL(url.trim(), base) : null;
}

function decodeEntities(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&#39;|&#x27;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
