import { Type, type Static } from 'typebox';
import { formTokenField } from './form-token.js';
import { field, formErrors, type FieldErrors } from './forms.js';
import { t, type Lang, type MessageKey } from './i18n.js';
import { html, type SafeHtml } from './layout.js';
import { passkeyForm } from './passkey-form.js';

/**
 * The body a second-step form posts (the form token is taken out before validation): a `code` for `totp` and
 * `recovery`, or for `webauthn` the passkey's assertion as WebAuthn JSON text in `credential` (the passkey script's).
 */
export const SecondStepFormBody = Type.Object({
  mfaToken: Type.String({ minLength: 1, maxLength: 128 }),
  // `enrolled`: the "continue" of a factor set up within this sign-in (sign-in/enrol-step.routes.ts), no code.
  method: Type.Union([Type.Literal('totp'), Type.Literal('recovery'), Type.Literal('webauthn'), Type.Literal('enrolled')]),
  code: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  credential: Type.Optional(Type.String({ minLength: 2, maxLength: 12_000 })),
});
export type SecondStepForm = Static<typeof SecondStepFormBody>;

/**
 * Whether a second page offers a passkey — to answer with, or to set up within the sign-in: then it loads the passkey
 * script (`passkeys: true` in sendHtmlPage).
 */
export function offersPasskey(state: SecondStepState): boolean {
  return answersWithPasskey(state) || (state.mfaToken !== '' && mustEnrol(state) && state.enrolWith?.passkey === true);
}

/** Whether the second step may be answered with one of the account's passkeys ("Use a passkey"). */
function answersWithPasskey(state: SecondStepState): boolean {
  return state.methods.includes('webauthn') && state.mfaToken !== '';
}

/** What a sign-in that must enrol first can set up on the hosted pages (`mfa.totp.enabled`, `mfa.webauthn.enabled`). */
export interface EnrolOptions {
  totp: boolean;
  passkey: boolean;
}

/** What a second-step page shows: the parked sign-in's token, the methods it may be answered with, and any error. */
export interface SecondStepState {
  mfaToken: string;
  methods: readonly string[];
  /** The account must set up a factor first (`mfa.requiredFor`): the page offers that instead of a code field. */
  enrol?: boolean;
  /** What it may set up; without it, an authenticator app only. */
  enrolWith?: EnrolOptions;
  errors?: FieldErrors;
}

/** Where a sign-in that must enrol first starts setting up an authenticator app (sign-in/enrol-step.routes.ts). */
export const ENROL_START_PATH = '/auth/mfa/enrol/start';
/** Where it posts a new passkey (the passkey script's `navigator.credentials.create` answer). */
export const ENROL_PASSKEY_PATH = '/auth/mfa/enrol/passkey';

/** The second page's state from an `mfa-required` answer's members: its token, its methods, and whether it must enrol. */
export function secondStepStateOf(members: Record<string, unknown>): SecondStepState {
  const methods = Array.isArray(members.methods) ? members.methods.map(String) : [];
  return { mfaToken: String(members.mfaToken ?? ''), methods, enrol: members.enroll === true };
}

/**
 * The second step of a sign-in as a page body (CONTRACT §5): a code field for the authenticator app
 * (`autocomplete="one-time-code"`, so phones offer a code they received), "Use a passkey" (the passkey script's
 * form) and, folded away, a field for a recovery code. Each carries the `mfaToken` and the page's form token (login
 * CSRF, like the first step). Why in pages/: the hosted login and the account page both show it, each posting to its own route. `restartUrl` is offered when no form is.
 */
export function secondStepForm(lang: Lang, action: string, formToken: string, state: SecondStepState, restartUrl: string): SafeHtml {
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
  const passkey = answersWithPasskey(state)
    ? html`${state.methods.includes('totp') ? '' : html`<p>${t(lang, 'passkey.useIntro')}</p>`}
${passkeyForm(lang, { kind: 'second-step', action, hidden: hidden('webauthn'), submit: 'passkey.use', id: 'passkey-second-step' })}`
    : '';
  const recovery = state.methods.includes('recovery')
    ? html`<details${state.methods.includes('totp') || passkey ? '' : html` open`}><summary>${t(lang, 'mfa.useRecovery')}</summary>
<form method="post" action="${action}">${hidden('recovery')}
${field('code', t(lang, 'mfa.recoveryCode'), { id: 'recovery-code', autocomplete: 'off' })}
<button type="submit">${t(lang, 'mfa.submit')}</button>
</form></details>`
    : '';
  const enrol = mustEnrol(state) ? enrolChoice(lang, formToken, state) : '';
  // Nothing to answer with (a disabled passkey, no recovery code left) and nothing to set up: say so, and the way back.
  const restart = totp || passkey || recovery || enrol ? '' : html`${state.mfaToken || state.errors ? '' : html`<p class="error" role="alert">${t(lang, 'mfa.stranded')}</p>`}
<p><a href="${restartUrl}">${t(lang, 'login.title')}</a></p>`;
  return html`${formErrors(errors)}
${enrol}
${totp}
${passkey}
${recovery}
${restart}`;
}

/** A sign-in that must set up a factor before it can finish (`mfa.requiredFor`, none enrolled). */
function mustEnrol(state: SecondStepState): boolean {
  return state.enrol === true && state.methods.length === 0;
}

/**
 * What a sign-in that must enrol first is offered (sign-in/enrol-step.routes.ts takes the posts): "Add a passkey" —
 * the passkey script fetches creation options with the `mfaToken` as its bearer token and posts the new credential —
 * and "Set up an authenticator app". Each carries the `mfaToken` and the page's form token (login CSRF).
 */
export function enrolChoice(lang: Lang, formToken: string, state: SecondStepState): SafeHtml {
  const { totp, passkey } = state.enrolWith ?? { totp: true, passkey: false };
  const hidden = html`${formTokenField(formToken)}<input type="hidden" name="mfaToken" value="${state.mfaToken}">`;
  const intro: MessageKey = passkey && totp ? 'mfa.enrolFirstChoice' : passkey ? 'mfa.enrolFirstPasskey' : 'mfa.enrolFirst';
  return html`<p>${t(lang, intro)}</p>
${passkey ? passkeyForm(lang, { kind: 'enrol', action: ENROL_PASSKEY_PATH, hidden, submit: 'passkey.add', id: 'passkey-enrol' }) : ''}
${totp ? html`<form method="post" action="${ENROL_START_PATH}">${hidden}<button type="submit">${t(lang, 'security.setUp')}</button></form>` : ''}`;
}
