import { t, type Lang } from './i18n.js';
import { html, type SafeHtml } from './layout.js';

/**
 * The link a success page ("e-mail confirmed", "password changed") ends with, so a person is never left on it: the
 * client's callbackURL when the page knows the client the flow began at, else the account page (which signs in
 * without a client; the login page needs one). Why structural: pages/ does not know the clients feature.
 */
export function onwardLink(lang: Lang, client: { callbackURL: string } | null | undefined): SafeHtml {
  if (client) return html`<p><a id="onward" href="${client.callbackURL}">${t(lang, 'onward.client')}</a></p>`;
  return html`<p><a id="onward" href="/account">${t(lang, 'onward.account')}</a></p>`;
}
