import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../http/errors.js';
import { pickLanguage, t } from '../pages/i18n.js';
import { html, sendHtmlPage } from '../pages/layout.js';

/**
 * Takes the last hop of a provider login (Google, Facebook, OIDC, SAML, CAS) to its landing page — the
 * `redirectSuccessUrl`, `/auth/user` or a client's callbackURL — from a page of our own site (CONTRACT §5).
 * Why: the provider's return belongs to a navigation a foreign site started, so a browser withholds the
 * `SameSite=Strict` auth cookie on every redirect of that chain, and the landing page would see a guest. The
 * navigation this page starts (meta refresh, or its link) is initiated by our own site, so the cookie goes along.
 * No script (the strict CSP of hosted pages holds), no caching (the URL may carry a token), no referrer.
 */
export function sendLandingPage(request: FastifyRequest, reply: FastifyReply, target: string): FastifyReply {
  const url = landingUrl(target);
  const lang = pickLanguage(request.headers['accept-language']);
  const body = html`<meta http-equiv="refresh" content="0;url=${url}">
<p>${t(lang, 'landing.note')}</p>
<p><a href="${url}" id="continue">${t(lang, 'landing.continue')}</a></p>`;
  return sendHtmlPage(reply, 200, t(lang, 'landing.title'), body, lang);
}

/**
 * The target as an absolute http(s) URL. A refresh URL that starts with a quote would be cut at the next one,
 * and a `javascript:` or `data:` target must never be followed: both are ruled out by the scheme check.
 */
function landingUrl(target: string): string {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new AppError('internal-error', 'the landing page of a provider login is not an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AppError('internal-error', 'the landing page of a provider login is not an http(s) URL');
  return url.href;
}
