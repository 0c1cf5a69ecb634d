import { t, type Lang, type MessageKey } from './i18n.js';
import { html, type SafeHtml } from './layout.js';
import { PASSKEY_SCRIPT_PATH } from './passkey-script.js';

/** What a passkey form of a hosted page carries: its ceremony, where it posts, its hidden fields and its button. */
export interface PasskeyFormOptions {
  kind: 'login' | 'second-step' | 'register' | 'enrol' | 'step-up';
  action: string;
  /** The form token and whatever else the route needs (`mfaToken`, `method`). */
  hidden: SafeHtml;
  submit: MessageKey;
  /** Visible fields before the button (the new passkey's name). */
  fields?: SafeHtml | '';
  id?: string;
}

/**
 * A form the passkey script (pages/passkey-script.ts) drives: on submit it runs the WebAuthn ceremony and posts the
 * answer in `credential`. The refusal line is announced when the script fills it (a cancelled prompt in the page's
 * language). Pages that show one send `passkeys: true` (layout.ts), so their CSP lets the script load and fetch.
 */
export function passkeyForm(lang: Lang, options: PasskeyFormOptions): SafeHtml {
  const id = options.id ? html` id="${options.id}"` : '';
  return html`<form method="post" action="${options.action}" data-passkey="${options.kind}"${id}>${options.hidden}<input type="hidden" name="credential">
${options.fields ?? ''}<p class="error" role="alert" data-passkey-error data-cancelled="${t(lang, 'passkey.cancelled')}" hidden></p>
<button type="submit">${t(lang, options.submit)}</button>
</form>
<script src="${PASSKEY_SCRIPT_PATH}" defer></script>`;
}
