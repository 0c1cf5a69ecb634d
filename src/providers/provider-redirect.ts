import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { FlowStart } from './provider.js';

const AUTO_SUBMIT = 'document.forms[0].submit()';
/** The page's only script is allowed by its hash (CSP), so nothing injected could run. */
const AUTO_SUBMIT_HASH = createHash('sha256').update(AUTO_SUBMIT).digest('base64');

/**
 * Sends the browser to the provider: a 302 (GET), or — for HTTP-POST bindings such as SAML's — a page whose one
 * script submits the request; shared by every provider so the page and its CSP exist once.
 */
export function sendToProvider(reply: FastifyReply, redirect: FlowStart['redirect']): FastifyReply {
  if ('url' in redirect) return reply.redirect(redirect.url, 302);
  const { action, fields } = redirect.form;
  const inputs = Object.entries(fields).map(([name, value]) => `<input type="hidden" name="${escapeAttr(name)}" value="${escapeAttr(value)}">`).join('');
  return reply.code(200).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store')
    .header('content-security-policy', `default-src 'none'; script-src 'sha256-${AUTO_SUBMIT_HASH}'; form-action ${new URL(action).origin}`)
    .send(`<!doctype html><html><body><form method="post" action="${escapeAttr(action)}">${inputs}<noscript><button type="submit">Continue</button></noscript></form><script>${AUTO_SUBMIT}</script></body></html>`);
}

function escapeAttr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
