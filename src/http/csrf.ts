import type { FastifyRequest } from 'fastify';
import { AppError } from './errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/**
 * Routes a foreign site posts to by design: the SAML ACS receives the IdP's cross-site form post, and is proven by
 * the response's signature and the browser's flow cookie instead.
 */
const CROSS_SITE_BY_DESIGN = new Set(['POST /auth/saml']);

/**
 * CSRF defence for cookie-authenticated requests (DESIGN "Principles"): an unsafe method passes only when the
 * browser says it comes from our own origin — `Origin` equal to baseUrl's origin, or `Sec-Fetch-Site: same-origin`.
 * Bearer and Basic credentials are never sent by a browser on its own, so they are exempt.
 */
export function assertSameOrigin(request: FastifyRequest, baseUrl: string): void {
  if (request.auth?.kind !== 'cookie' || SAFE_METHODS.has(request.method)) return;
  if (CROSS_SITE_BY_DESIGN.has(`${request.method} ${request.routeOptions.url}`)) return;
  const origin = request.headers.origin;
  const fetchSite = request.headers['sec-fetch-site'];
  if (origin !== undefined && origin !== 'null') {
    if (origin === new URL(baseUrl).origin) return;
    throw new AppError('forbidden', `cross-site request refused: Origin ${origin} is not ${new URL(baseUrl).origin}`);
  }
  if (fetchSite === 'same-origin') return;
  throw new AppError('forbidden', 'cross-site request refused: a cookie-authenticated change needs a same-origin Origin or Sec-Fetch-Site header');
}
