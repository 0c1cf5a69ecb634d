import type { FastifyRequest, onRequestHookHandler } from 'fastify';
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
 * Bearer and Basic credentials are never sent by a browser on its own, so they are exempt. Returns the route's
 * `onRequest` hook (it runs after the caller is known), or undefined for safe methods and the routes foreign sites
 * post to by design, so those routes pay nothing per request.
 */
export function sameOriginHookFor(route: { method: string | string[]; url: string }, baseUrl: string): onRequestHookHandler | undefined {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const guarded = methods.filter((method) => !SAFE_METHODS.has(method) && !CROSS_SITE_BY_DESIGN.has(`${method} ${route.url}`));
  if (guarded.length === 0) return undefined;
  const ownOrigin = new URL(baseUrl).origin;
  return (request, _reply, done) => {
    try {
      if (request.auth?.kind === 'cookie' && guarded.includes(request.method)) assertSameOrigin(request, ownOrigin);
    } catch (error) {
      return done(error as Error);
    }
    done();
  };
}

function assertSameOrigin(request: FastifyRequest, ownOrigin: string): void {
  const origin = request.headers.origin;
  const fetchSite = request.headers['sec-fetch-site'];
  if (origin !== undefined && origin !== 'null') {
    if (origin === ownOrigin) return;
    throw new AppError('forbidden', `cross-site request refused: Origin ${origin} is not ${ownOrigin}`);
  }
  if (fetchSite === 'same-origin') return;
  throw new AppError('forbidden', 'cross-site request refused: a cookie-authenticated change needs a same-origin Origin or Sec-Fetch-Site header');
}
