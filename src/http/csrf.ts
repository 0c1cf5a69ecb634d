import type { FastifyRequest } from 'fastify';
import { AppError } from './errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF defence for cookie-authenticated requests (DESIGN "Principles"): an unsafe method passes only when the
 * browser says it comes from our own origin — `Origin` equal to baseUrl's origin, or `Sec-Fetch-Site: same-origin`.
 * Bearer and Basic credentials are never sent by a browser on its own, so they are exempt.
 */
export function assertSameOrigin(request: FastifyRequest, baseUrl: string): void {
  if (request.auth?.kind !== 'cookie' || SAFE_METHODS.has(request.method)) return;
  const origin = request.headers.origin;
  const fetchSite = request.headers['sec-fetch-site'];
  if (origin !== undefined && origin !== 'null') {
    if (origin === new URL(baseUrl).origin) return;
    throw new AppError('forbidden', `cross-site request refused: Origin ${origin} is not ${new URL(baseUrl).origin}`);
  }
  if (fetchSite === 'same-origin') return;
  throw new AppError('forbidden', 'cross-site request refused: a cookie-authenticated change needs a same-origin Origin or Sec-Fetch-Site header');
}
