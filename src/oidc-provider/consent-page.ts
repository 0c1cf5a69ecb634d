import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Client } from '../clients/client.repository.js';
import { formTokenField, issueFormToken, type FormTokenDeps } from '../pages/form-token.js';
import { pickLanguage, t, type Lang, type MessageKey } from '../pages/i18n.js';
import { html, sendHtmlPage, type SafeHtml } from '../pages/layout.js';
import { INTERACTION_PATH } from '../sign-in/interaction-return.js';
import { clientFormOrigins } from '../sign-in/hosted-client.js';
import type { Interaction } from './interaction.js';

const DESCRIBED = new Set(['openid', 'profile', 'email', 'offline_access', 'roles', 'groups']);

/**
 * The consent page (CONTRACT §5): what the app asks for, one line per scope, and Allow / Deny. A plain form with the
 * page's form token, no script; the answer's redirect goes to the client's redirect URI, which the CSP admits.
 */
export function renderConsent(
  request: FastifyRequest, reply: FastifyReply, formTokens: FormTokenDeps, client: Client, interaction: Interaction, status: number,
): FastifyReply {
  const lang = pickLanguage(request.headers['accept-language']);
  const name = client.name ?? client.clientID;
  const token = issueFormToken(request, reply, formTokens);
  const body = html`<p>${t(lang, 'consent.intro', { client: name })}</p>
<ul>${requestedScopes(interaction).map((scope) => html`<li>${describe(lang, scope)}</li>`)}</ul>
<form method="post" action="${INTERACTION_PATH}/${interaction.uid}/consent">${formTokenField(token)}
<button type="submit" name="decision" value="allow">${t(lang, 'consent.allow')}</button>
<button type="submit" name="decision" value="deny" class="secondary">${t(lang, 'consent.deny')}</button>
</form>`;
  return sendHtmlPage(reply, status, t(lang, 'consent.title', { client: name }), body, lang, clientFormOrigins(client));
}

/** The scopes the prompt says are not granted yet, else all the request names. */
function requestedScopes(interaction: Interaction): string[] {
  const details = interaction.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
  const scopes = [...(details.missingOIDCScope ?? []), ...Object.values(details.missingResourceScopes ?? {}).flat()];
  return [...new Set(scopes.length ? scopes : (interaction.params.scope ?? 'openid').split(' '))];
}

function describe(lang: Lang, scope: string): SafeHtml | string {
  if (DESCRIBED.has(scope)) return t(lang, `consent.scope.${scope}` as MessageKey);
  return t(lang, 'consent.scope.other', { scope });
}
