import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Client } from '../clients/client.repository.js';
import { formTokenField, issueFormToken, type LoginCsrfDeps } from '../pages/form-token.js';
import { field, formErrors, type FieldErrors } from '../pages/forms.js';
import { pickLanguage, t, type Lang } from '../pages/i18n.js';
import { html, sendHtmlPage, type SafeHtml } from '../pages/layout.js';
import { clientFormOrigins } from './hosted-client.js';

/** Where the hosted login's second page posts its code. */
export const SECOND_STEP_PATH = '/auth/login/mfa';

/** What the second page shows: the parked sign-in's token, the methods it may be answered with, and any error. */
export interface SecondStepState {
  mfaToken: string;
  methods: readonly string[];
  errors?: FieldErrors;
}

/**
 * The hosted login's second page (CONTRACT §5): a code field for the authenticator app (`autocomplete="one-time-code"`,
 * so phones offer a code they received) and, folded away, one for a recovery code. Both carry the `mfaToken` and the
 * page's form token (login CSRF, like the first page).
 */
export function renderSecondStep(
  request: FastifyRequest, reply: FastifyReply, loginCsrf: LoginCsrfDeps, client: Client, status: number, state: SecondStepState,
): FastifyReply {
  const lang = pickLanguage(request.headers['accept-language']);
  const formToken = issueFormToken(request, reply, loginCsrf);
  return sendHtmlPage(reply, status, t(lang, 'mfa.title'), secondStepBody(lang, client, formToken, state), lang, clientFormOrigins(client));
}

function secondStepBody(lang: Lang, client: Client, formToken: string, state: SecondStepState): SafeHtml {
  const action = `${SECOND_STEP_PATH}?clientID=${encodeURIComponent(client.clientID)}`;
  const errors = state.errors ?? {};
  const hidden = (method: string) => html`${formTokenField(formToken)}<input type="hidden" name="mfaToken" value="${state.mfaToken}">
<input type="hidden" name="method" value="${method}">`;
  const totp = state.methods.includes('totp')
    ? html`<p>${t(lang, 'mfa.intro')}</p>
<form method="post" action="${action}">${hidden('totp')}
${field('code', t(lang, 'mfa.code'), { id: 'totp-code', autocomplete: 'one-time-code', errors: errors.code })}
<button type="submit">${t(lang, 'mfa.submit')}</button>
</form>`
    : '';
  const recovery = state.methods.includes('recovery')
    ? html`<details${state.methods.includes('totp') ? '' : html` open`}><summary>${t(lang, 'mfa.useRecovery')}</summary>
<form method="post" action="${action}">${hidden('recovery')}
${field('code', t(lang, 'mfa.recoveryCode'), { id: 'recovery-code', autocomplete: 'off' })}
<button type="submit">${t(lang, 'mfa.submit')}</button>
</form></details>`
    : '';
  const restart = totp || recovery ? '' : html`<p><a href="/auth/login?clientID=${encodeURIComponent(client.clientID)}">${t(lang, 'login.title')}</a></p>`;
  return html`${formErrors(errors)}
${totp}
${recovery}
${restart}`;
}
