import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RandomSource } from '../clock.js';
import type { Config } from '../config/index.js';
import { safeEqual, sha256 } from '../util/hashing.js';
import { SAML_REQUEST_TTL_MS } from './saml-requests.js';

/** The browser-binding cookie of SAML logins (separate from the auth cookie and from `gh_flow`). */
export const SAML_BINDING_COOKIE = 'gh_saml';
const NONCE = /^[\w-]{43}$/;

/**
 * Ties a SAML login to the browser that started it (login CSRF): `GET /auth/saml` leaves a random nonce in a
 * SameSite=Lax cookie and the pending request keeps its SHA-256; the finish route, reached from a page of our own
 * (so the Lax cookie rides along), accepts the login only when the cookie hashes to the stored value. Path limited to
 * the SAML routes, 10 minutes like the pending request.
 */
export class SamlBinding {
  constructor(
    private readonly config: Config,
    private readonly random: RandomSource,
  ) {}

  /**
   * Sets (or renews) this browser's nonce and answers its SHA-256. A well-formed nonce the browser already holds is
   * kept, so a second login started in another tab does not void the first.
   */
  bind(request: FastifyRequest, reply: FastifyReply): string {
    const held = request.cookies?.[SAML_BINDING_COOKIE];
    const nonce = held && NONCE.test(held) ? held : this.random.bytes(32).toString('base64url');
    reply.setCookie(SAML_BINDING_COOKIE, nonce, this.options(SAML_REQUEST_TTL_MS / 1000));
    return sha256(nonce);
  }

  /** Whether this request carries the nonce whose SHA-256 is `bindingHash` (constant time). */
  matches(request: FastifyRequest, bindingHash: string): boolean {
    const nonce = request.cookies?.[SAML_BINDING_COOKIE];
    return typeof nonce === 'string' && nonce !== '' && safeEqual(sha256(nonce), bindingHash);
  }

  /** The login is over (either way): the nonce goes. */
  clear(reply: FastifyReply): void {
    reply.clearCookie(SAML_BINDING_COOKIE, { ...this.options(0), maxAge: 0, expires: new Date(0) });
  }

  private options(maxAgeSeconds: number): CookieSerializeOptions {
    const base = new URL(this.config.server.baseUrl).pathname.replace(/\/+$/, '');
    return { path: `${base}/auth/saml`, httpOnly: true, secure: this.config.cookie.secure, sameSite: 'lax', maxAge: maxAgeSeconds };
  }
}
