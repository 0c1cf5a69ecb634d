import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply } from 'fastify';
import type { Config } from '../config/index.js';

/** Server-side lifetime of a session whose cookie has no Max-Age (`-1`, a browser-session cookie). */
export const SESSION_COOKIE_SERVER_TTL_SECONDS = 86_400;

/**
 * The auth cookie's attributes from `cookie.*` (seed 004): path (`auto` already resolved to baseUrl's path),
 * HttpOnly, Secure (forced by SameSite=None), SameSite and Max-Age (`-1`: none, a browser-session cookie).
 */
export function authCookieOptions(config: Config, maxAgeSeconds: number): CookieSerializeOptions {
  const options: CookieSerializeOptions = {
    path: config.cookie.path,
    httpOnly: config.cookie.httpOnly,
    secure: config.cookie.secure || config.cookie.sameSite === 'none',
    sameSite: config.cookie.sameSite,
  };
  if (maxAgeSeconds >= 0) options.maxAge = maxAgeSeconds;
  return options;
}

/** How long the server keeps a cookie session: its Max-Age, or a day for a browser-session cookie. */
export function sessionTtlMs(maxAgeSeconds: number): number {
  return (maxAgeSeconds < 0 ? SESSION_COOKIE_SERVER_TTL_SECONDS : maxAgeSeconds) * 1000;
}

/** Sets the auth cookie. */
export function setAuthCookie(reply: FastifyReply, config: Config, credential: string, maxAgeSeconds: number): void {
  reply.setCookie(config.cookie.name, credential, authCookieOptions(config, maxAgeSeconds));
}

/** Removes every auth cookie this server sets (logout, or a dead cookie presented). */
export function clearAuthCookies(reply: FastifyReply, config: Config): void {
  reply.clearCookie(config.cookie.name, { ...authCookieOptions(config, 0), maxAge: 0, expires: new Date(0) });
}
