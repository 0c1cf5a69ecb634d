import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The one `<style>` element swagger-ui's bundle injects at run time, allowed by its hash rather than by
 * `'unsafe-inline'`. A swagger-ui upgrade that changes it makes test/hardening.docs.browser.test.ts fail with
 * Chromium's message, which names the new hash.
 */
const SWAGGER_UI_STYLE_HASH = "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='";

/**
 * The API reference at `/docs` (swagger-ui): its scripts and styles are files of its own, the spec comes from
 * `/docs/json`, and its icons are inline `data:` images. Nothing else — no inline script, no third-party host
 * (the online validator badge is off, see app.ts), no framing.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  `style-src 'self' ${SWAGGER_UI_STYLE_HASH}`,
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** RFC 6797: a year, subdomains included; sent only when the server's public URL is https. */
export const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * Headers every response carries: `nosniff` (a JSON body or an outbox attachment is never run as a script or
 * style), HSTS behind an https `server.baseUrl`, and a CSP on the `/docs` pages, which set none of their own.
 * Set as the request arrives (app.ts calls this first in its one `onRequest` hook, so no hook of its own is run per
 * request on the hot path): every route, error and 404 answer keeps them; a page's own CSP replaces the `/docs` one.
 */
export function securityHeaders(options: { baseUrl: string }): (request: FastifyRequest, reply: FastifyReply) => void {
  const hsts = new URL(options.baseUrl).protocol === 'https:';
  return (request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    if (hsts) reply.header('strict-transport-security', HSTS);
    if (isDocsPath(request.url)) reply.header('content-security-policy', DOCS_CSP);
  };
}

function isDocsPath(url: string): boolean {
  return url === '/docs' || url.startsWith('/docs/') || url.startsWith('/docs?');
}
