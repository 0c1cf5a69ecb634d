import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/index.js';
import { AppError } from '../http/errors.js';
import { hmac, safeEqual } from '../util/hashing.js';
import { html, type SafeHtml } from './layout.js';

/**
 * CSRF defence for the anonymous hosted forms (login, register, password reset): a double-submit token. The page
 * sets a short-lived random cookie and puts a value derived from it with the server key in a hidden field; a form
 * post must carry both. A cross-site page can make the browser post a form, but can neither read the hidden field
 * nor (SameSite=Strict) get the cookie sent along. JSON posts are exempt: a cross-site page cannot send
 * `application/json` without a CORS preflight, which this server never allows. Forms that start a session take the
 * token only from foreign origins (the login-CSRF rule, passesLoginCsrf below); the reset form always.
 */
const FORM_COOKIE = 'gh_form';
export const FORM_FIELD = 'form_token';
const MAX_AGE_SECONDS = 3600;
/** 32 random bytes in base64url. */
const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

/** What form tokens are made from: the cookie settings, the cluster's server key, and a random source. */
export interface FormTokenDeps {
  config: Config;
  serverKey: string;
  random: { bytes(size: number): Buffer };
}

/**
 * The login-CSRF rule also lets registered clients' pages post (passesLoginCsrf). Why a function: which origins those
 * are is the clients feature's to know; pages/ only asks.
 */
export interface LoginCsrfDeps extends FormTokenDeps {
  isClientCallbackOrigin(origin: string): Promise<boolean>;
}

/**
 * The form cookie's name: `__Host-` prefixed where cookies are Secure, so no sibling subdomain can plant a cookie
 * (whose token it fetched from us) in a victim's browser — the weak spot of double-submit tokens.
 */
export function formCookieName(deps: FormTokenDeps): string {
  return deps.config.cookie.secure ? `__Host-${FORM_COOKIE}` : FORM_COOKIE;
}

function tokenFor(deps: FormTokenDeps, cookieValue: string): string {
  return hmac(deps.serverKey, `form:${cookieValue}`);
}

/**
 * Sets (or renews) the browser's form cookie and answers the token for the hidden field. A cookie the browser
 * already holds is kept, so two open tabs do not spoil each other's forms.
 */
export function issueFormToken(request: FastifyRequest, reply: FastifyReply, deps: FormTokenDeps): string {
  const name = formCookieName(deps);
  const held = request.cookies[name];
  const value = held !== undefined && COOKIE_VALUE.test(held) ? held : deps.random.bytes(32).toString('base64url');
  // `__Host-` needs Secure, Path=/ and no Domain: set here, and never a Domain.
  reply.setCookie(name, value, { httpOnly: true, sameSite: 'strict', secure: deps.config.cookie.secure, path: '/', maxAge: MAX_AGE_SECONDS });
  return tokenFor(deps, value);
}

/** The hidden field a protected form carries. */
export function formTokenField(token: string): SafeHtml {
  return html`<input type="hidden" name="${FORM_FIELD}" value="${token}">`;
}

/** Whether the request body is an HTML form post (`application/x-www-form-urlencoded`). */
export function isFormPost(request: FastifyRequest): boolean {
  return /^\s*application\/x-www-form-urlencoded\b/i.test(request.headers['content-type'] ?? '');
}

/**
 * Whether the body is JSON: `application/json` exactly (parameters allowed). Why so strict: a page of any site can
 * make a browser post `text/plain`, `multipart/form-data` and forms without asking, but JSON only after a CORS
 * preflight, which this server never allows.
 */
export function isJsonPost(request: FastifyRequest): boolean {
  return /^\s*application\/json\s*(;|$)/i.test(request.headers['content-type'] ?? '');
}

/** Takes the form token out of a form post's body, so the route's schema never sees it; answers what was sent. */
function takeFormToken(request: FastifyRequest): unknown {
  if (!isFormPost(request) || typeof request.body !== 'object' || request.body === null) return undefined;
  const record = request.body as Record<string, unknown>;
  const sent = record[FORM_FIELD];
  delete record[FORM_FIELD];
  return sent;
}

/**
 * Checks a form post's token against its cookie and takes the token out of the body, so the route's schema never
 * sees it. Anything but a form post passes untouched.
 */
export function checkFormToken(request: FastifyRequest, deps: FormTokenDeps): boolean {
  if (!isFormPost(request)) return true;
  if (typeof request.body !== 'object' || request.body === null) return false;
  return validFormToken(request, deps, takeFormToken(request));
}

function validFormToken(request: FastifyRequest, deps: FormTokenDeps, sent: unknown): boolean {
  const cookie = request.cookies[formCookieName(deps)];
  if (typeof sent !== 'string' || cookie === undefined || !COOKIE_VALUE.test(cookie)) return false;
  return safeEqual(sent, tokenFor(deps, cookie));
}

/**
 * A `preValidation` hook for a route that takes protected form posts: a form post without the right token gets
 * `refuse` (the form again with a fresh token, status 403) instead of reaching validation or the handler.
 */
export function requireFormToken(deps: FormTokenDeps, refuse: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> | FastifyReply) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (checkFormToken(request, deps)) return;
    request.log.info({ url: request.url.split('?')[0] }, 'form post without a valid form token refused');
    return refuse(request, reply);
  };
}

/**
 * Login CSRF (CONTRACT §5), the one rule for every post that starts a session (`/auth/login`, `/auth/register`,
 * `/auth/cookie`, `/account/login`): a foreign page must not log a victim's browser into the attacker's account.
 * - JSON passes: no page can send it cross-site (see isJsonPost).
 * - No `Origin` passes: every browser sends one on a POST, so this is curl or a server — unless `Sec-Fetch-Site`
 *   says `cross-site` or `same-site`, which only a browser sends (treated as foreign).
 * - `Origin` equal to this server's or to a registered client's callbackURL origin passes: those pages may post
 *   the form (a seed-000 client hosts its own login form).
 * - Any other `Origin`, `null` included (our pages' `Referrer-Policy: no-referrer` makes browsers send `null`
 *   from them), needs a form post carrying the page's form token.
 * The form token is taken out of the body either way, so the route's schema never sees it.
 */
export async function passesLoginCsrf(request: FastifyRequest, deps: LoginCsrfDeps, ownOrigin: string): Promise<boolean> {
  if (isJsonPost(request)) return true;
  const sent = takeFormToken(request);
  const origin = request.headers.origin;
  if (origin === undefined) {
    // A repeated header arrives joined ("cross-site, cross-site"), so look for the words.
    if (!/\b(cross|same)-site\b/i.test(String(request.headers['sec-fetch-site'] ?? ''))) return true;
  } else if (origin === ownOrigin || (origin !== 'null' && (await deps.isClientCallbackOrigin(origin)))) {
    return true;
  }
  return isFormPost(request) && validFormToken(request, deps, sent);
}

/**
 * A `preValidation` hook applying the login-CSRF rule (passesLoginCsrf): a refused post gets `refuse` — the form
 * again with a fresh token (403) on a hosted page, a `403 forbidden` problem elsewhere.
 */
export function requireLoginCsrf(deps: LoginCsrfDeps, refuse: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> | FastifyReply) {
  const ownOrigin = new URL(deps.config.server.baseUrl).origin;
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (await passesLoginCsrf(request, deps, ownOrigin)) return;
    request.log.info({ url: request.url.split('?')[0], origin: request.headers.origin?.slice(0, 256) }, 'login CSRF: a foreign post without a valid form token refused');
    return refuse(request, reply);
  };
}

/**
 * The form token of a signed-in page's forms (the account page and its sections): an HMAC of the session under the
 * server key, so it needs no storage and dies with the session. Why on top of the Origin check: defence in depth.
 */
export function sessionFormToken(serverKey: string, sessionId: string): string {
  return hmac(serverKey, `csrf:${sessionId}`, 24);
}

/** The cookie-signed-in caller of a signed-in page's form post, when `token` is its session's; else `forbidden`. */
export function requireSessionFormToken(request: FastifyRequest, serverKey: string, token: string): { accountId: string; sessionId: string } {
  const auth = request.auth?.kind === 'cookie' ? request.auth : null;
  if (!auth || !safeEqual(token, sessionFormToken(serverKey, auth.sessionId))) throw new AppError('forbidden', 'form token missing or wrong');
  return auth;
}
