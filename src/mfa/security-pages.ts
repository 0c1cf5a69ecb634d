import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { StepUpProof } from '../accounts/account.service.js';
import { AppError } from '../http/errors.js';
import { requireSessionFormToken } from '../pages/form-token.js';
import { field } from '../pages/forms.js';
import { pickLanguage, t, type Lang, type MessageKey } from '../pages/i18n.js';
import { html, SafeHtml, sendHtmlPage } from '../pages/layout.js';
import { passkeyForm } from '../pages/passkey-form.js';
import { assertionFromForm, CredentialField } from './form-credential.js';
import type { SecondFactors } from './second-factors.js';
import type { TotpSetup } from './totp.service.js';

/**
 * The pages the account page's security forms answer with (mfa-page.routes.ts for the authenticator app,
 * passkey-page.routes.ts for passkeys): one frame with a way back, the recovery codes shown once, and step-up.
 */

/** A page of the security section's forms, with "Back to your account". */
export function sendSecurityPage(request: FastifyRequest, reply: FastifyReply, status: number, title: MessageKey, body: (lang: Lang) => SafeHtml): FastifyReply {
  const lang = pickLanguage(request.headers['accept-language']);
  return sendHtmlPage(reply, status, t(lang, title), html`${body(lang)}<p><a href="/account">${t(lang, 'security.back')}</a></p>`, lang);
}

/** A one-line outcome ("The passkey was removed."), announced; `error` for a refusal. */
export function sendOutcome(request: FastifyRequest, reply: FastifyReply, status: number, message: MessageKey, error = false): FastifyReply {
  return sendSecurityPage(request, reply, status, 'security.title', (lang) =>
    error ? html`<p class="error" role="alert">${t(lang, message)}</p>` : html`<p class="ok" role="status">${t(lang, message)}</p>`);
}

/** The ten new recovery codes, shown this once (after `before`, e.g. "The passkey was added."). */
export function sendRecoveryCodes(request: FastifyRequest, reply: FastifyReply, codes: string[], before?: MessageKey): FastifyReply {
  return sendSecurityPage(request, reply, 200, 'security.codesTitle', (lang) => html`${before ? html`<p class="ok" role="status">${t(lang, before)}</p>` : ''}
${recoveryCodeList(lang, codes)}`);
}

/** The new recovery codes with what to do with them: shown once, by the account page and by a sign-in that enrolled. */
export function recoveryCodeList(lang: Lang, codes: string[]): SafeHtml {
  return html`<p>${t(lang, 'security.codesIntro')}</p>
<ul id="recovery-codes">${codes.map((code) => html`<li><code>${code}</code></li>`)}</ul>`;
}

/**
 * Setting up an authenticator app: the QR code, the key to type, and the first code's field posting to `action` with
 * `hidden` (the form's token and whatever else the route needs). Shared by the account page and the sign-in that must
 * enrol first (sign-in/enrol-step.routes.ts).
 */
export function totpSetupForm(lang: Lang, setup: TotpSetup, action: string, hidden: SafeHtml, wrong: boolean): SafeHtml {
  return html`<p>${t(lang, 'security.scan')}</p>
<figure class="qr">${new SafeHtml(setup.qrSvg)}</figure>
<p>${t(lang, 'security.key')}: <code id="totp-secret">${setup.secret}</code></p>
<form method="post" action="${action}">${hidden}
${field('code', t(lang, 'mfa.code'), { id: 'setup-code', autocomplete: 'one-time-code', errors: wrong ? [t(lang, 'mfa.wrong')] : [] })}
<button type="submit">${t(lang, 'security.confirm')}</button></form>`;
}

/**
 * A form that needs step-up: the password or a current code, with ids prefixed by `id` (one page may hold several);
 * with `passkey` (the account has a usable one) also "Confirm with a passkey", a form of its own posting to the same
 * `action` with the same `hidden` fields, whose ceremony the passkey script runs on a step-up challenge.
 */
export function stepUpForm(lang: Lang, action: string, hidden: SafeHtml, submit: MessageKey, id: string, passkey = false): SafeHtml {
  const withPasskey = passkey
    ? passkeyForm(lang, { kind: 'step-up', action, hidden, submit: 'security.withPasskey', id: `${id}-passkey` })
    : '';
  return html`<form method="post" action="${action}">${hidden}<p>${t(lang, passkey ? 'security.proofIntroPasskey' : 'security.proofIntro')}</p>
${field('password', t(lang, 'security.password'), { id: `${id}-password`, type: 'password', autocomplete: 'current-password', required: false })}
${field('code', t(lang, 'security.orCode'), { id: `${id}-code`, autocomplete: 'one-time-code', required: false })}
<button type="submit">${t(lang, submit)}</button></form>${withPasskey}`;
}

/** The fields a step-up form posts besides its own: the form token, and the password, a code or a passkey's assertion. */
export const StepUpFormFields = {
  csrf: Type.String({ maxLength: 64 }),
  password: Type.Optional(Type.String({ maxLength: 1024 })),
  code: Type.Optional(Type.String({ maxLength: 64 })),
  credential: Type.Optional(CredentialField),
};

/**
 * A step-up form's post: the session's form token, then the password, code or passkey (wrong: a page saying so), then
 * `act`. The passkey's assertion arrives as the passkey script's WebAuthn JSON text in `credential`.
 */
export async function withStepUp(
  deps: { serverKey: string; factors: Pick<SecondFactors, 'assertStepUp'> }, request: FastifyRequest, reply: FastifyReply,
  body: { csrf: string; password?: string | undefined; code?: string | undefined; credential?: string | undefined },
  act: (accountId: string) => Promise<FastifyReply>,
): Promise<FastifyReply> {
  const auth = requireSessionFormToken(request, deps.serverKey, body.csrf);
  const usesPasskey = body.credential !== undefined && body.credential !== '';
  try {
    const proof: StepUpProof = usesPasskey
      ? { credential: assertionFromForm(body.credential), inetAddress: request.ip }
      : { password: body.password || undefined, code: body.code?.trim() || undefined, inetAddress: request.ip };
    await deps.factors.assertStepUp(auth.accountId, proof);
  } catch (error) {
    if (!(error instanceof AppError) || error.status >= 500) throw error;
    return sendOutcome(request, reply, error.status, usesPasskey ? 'security.passkeyWrong' : 'security.proofWrong', true);
  }
  return act(auth.accountId);
}
