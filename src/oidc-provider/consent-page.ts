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
<ul>${requestedScopes(interaction).map(({ scope, api }) => html`<li>${describe(lang, scope, api)}</li>`)}</ul>
<form method="post" action="${INTERACTION_PATH}/${interaction.uid}/consent">${formTokenField(token)}
<button type="submit" name="decision" value="allow">${t(lang, 'consent.allow')}</button>
<button type="submit" name="decision" value="deny" class="secondary">${t(lang, 'consent.deny')}</button>
</form>`;
  return sendHtmlPage(reply, status, t(lang, 'consent.title', { client: name }), body, lang, clientFormOrigins(client));
}

/** A scope to show, with the API (resource indicator, oidc.resources) it is for when it is an API's. */
interface ShownScope {
  scope: string;
  api?: string;
}

/** The scopes the prompt says are not granted yet (an API's with its indicator), else all the request names. */
function requestedScopes(interaction: Interaction): ShownScope[] {
  const details = interaction.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
  const openid = (details.missingOIDCScope ?? []).map((scope) => ({ scope }));
  const apis = Object.entries(details.missingResourceScopes ?? {}).flatMap(([api, scopes]) => scopes.map((scope) => ({ scope, api })));
  if (openid.length + apis.length === 0) return [...new Set((interaction.params.scope ?? 'openid').split(' '))].map((scope) => ({ scope }));
  return [...openid, ...apis];
}

function describe(lang: Lang, scope: string, api: string | undefined): SafeHtml | string {
  if (api !== undefined) return t(lang, 'consent.scope.api', { scope, api });
  if (DESCRIBED.has(scope)) return t(lang, `consent.scope.${scope}` as MessageKey);
  return t(lang, 'consent.scope.other', { scope });
}
