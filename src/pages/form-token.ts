import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.js';
import { hmac, safeEqual } from '../util/hashing.js';
import { html, type SafeHtml } from './layout.js';

/**
 * CSRF defence for the anonymous hosted forms (login, register, password reset): a double-submit token. The page
 * sets a short-lived random cookie and puts a value derived from it with the server key in a hidden field; a form
 * post must carry both. A cross-site page can make the browser post a form, but can neither read the hidden field
 * nor (SameSite=Strict) get the cookie sent along. JSON posts are exempt: a cross-site page cannot send
 * `application/json` without a CORS preflight, which this server never allows.
 */
export const FORM_COOKIE = 'gh_form';
export const FORM_FIELD = 'form_token';
const MAX_AGE_SECONDS = 3600;
/** 32 random bytes in base64url. */
const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

function tokenFor(services: Services, cookieValue: string): string {
  return hmac(services.serverKey, `form:${cookieValue}`);
}

/**
 * Sets (or renews) the browser's form cookie and answers the token for the hidden field. A cookie the browser
 * already holds is kept, so two open tabs do not spoil each other's forms.
 */
export function issueFormToken(request: FastifyRequest, reply: FastifyReply, services: Services): string {
  const held = request.cookies[FORM_COOKIE];
  const value = held !== undefined && COOKIE_VALUE.test(held) ? held : services.random.bytes(32).toString('base64url');
  reply.setCookie(FORM_COOKIE, value, { httpOnly: true, sameSite: 'strict', secure: services.config.cookie.secure, path: '/', maxAge: MAX_AGE_SECONDS });
  return tokenFor(services, value);
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
 * Checks a form post's token against its cookie and takes the token out of the body, so the route's schema never
 * sees it. Anything but a form post passes untouched.
 */
export function checkFormToken(request: FastifyRequest, services: Services): boolean {
  if (!isFormPost(request)) return true;
  const body = request.body;
  if (typeof body !== 'object' || body === null) return false;
  const record = body as Record<string, unknown>;
  const sent = record[FORM_FIELD];
  delete record[FORM_FIELD];
  const cookie = request.cookies[FORM_COOKIE];
  if (typeof sent !== 'string' || cookie === undefined || !COOKIE_VALUE.test(cookie)) return false;
  return safeEqual(sent, tokenFor(services, cookie));
}

/**
 * A `preValidation` hook for a route that takes protected form posts: a form post without the right token gets
 * `refuse` (the form again with a fresh token, status 403) instead of reaching validation or the handler.
 */
export function requireFormToken(services: Services, refuse: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> | FastifyReply) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (checkFormToken(request, services)) return;
    request.log.info({ url: request.url.split('?')[0] }, 'form post without a valid form token refused');
    return refuse(request, reply);
  };
}
