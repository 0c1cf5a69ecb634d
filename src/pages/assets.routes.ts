import type { FastifyPluginAsync } from 'fastify';

/** Where the local-time script is served; pages that load it send `script-src 'self'` (layout.ts `scripts`). */
export const LOCAL_TIME_SCRIPT = '/assets/local-time.js';

/**
 * Rewrites every `<time data-local datetime="…">` in the browser's own time zone and the page's language. Why a
 * file and not inline: the pages' CSP forbids inline script; without script the UTC text stays, which is still true.
 */
const localTimeSource = `// Gatehouse: shows <time data-local> in the browser's time zone (the server writes UTC).
for (const element of document.querySelectorAll('time[data-local]')) {
  const date = new Date(element.dateTime);
  if (Number.isNaN(date.getTime())) continue;
  element.title = element.textContent;
  element.textContent = date.toLocaleString(document.documentElement.lang || undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
`;

/** The hosted pages' static script files (only one so far), served by this server so `script-src 'self'` covers them. */
export const pageAssetRoutes: FastifyPluginAsync = async (app) => {
  app.get(LOCAL_TIME_SCRIPT, { schema: { hide: true } }, async (_request, reply) =>
    reply.header('content-type', 'text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(localTimeSource));
};
