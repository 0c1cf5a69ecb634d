import type { FastifyPluginAsync } from 'fastify';
import { brandingOf } from './branding.js';
import { PAGE_STYLE_PATH, pageStyleSheet } from './layout.js';

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

/**
 * The hosted pages' static files, served by this server so `script-src 'self'` and `style-src 'self'` cover them: the
 * local-time script, and the pages' style sheet for pages that link it rather than inline it (layout.ts PageFrame).
 */
export const pageAssetRoutes: FastifyPluginAsync = async (app) => {
  app.get(LOCAL_TIME_SCRIPT, { schema: { hide: true } }, async (_request, reply) =>
    reply.header('content-type', 'text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(localTimeSource));
  // Short-lived in caches: it carries the branding's colour, which a restart with new configuration may change.
  app.get(PAGE_STYLE_PATH, { schema: { hide: true } }, async (_request, reply) =>
    reply.header('content-type', 'text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(pageStyleSheet(brandingOf(reply))));
};
