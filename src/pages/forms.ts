import type { FieldError } from '../http/errors.js';
import { MAX_PASSWORD_LENGTH, type PasswordPolicy } from '../passwords/policy.js';
import { isMessageKey, t, type Lang } from './i18n.js';
import { html, type SafeHtml } from './layout.js';

/** Messages per field name; `form` holds those that belong to no one field (shown above the form). */
export type FieldErrors = Partial<Record<string, string[]>> & { form?: string[] };

export interface FieldOptions {
  type?: string;
  autocomplete?: string;
  /** Refilled value after an error (never for passwords). */
  value?: string;
  errors?: string[] | undefined;
  /** A short help text (or a list, see passwordHint), read out with the field. */
  hint?: string | SafeHtml;
  /** The element id when one page has two fields of the same name (defaults to the name). */
  id?: string;
  required?: boolean;
}

/**
 * An input with its `<label for>` and, when there are any, its errors tied to it for screen readers. The error
 * stays outside the label, so the field's accessible name is its label alone; the first invalid field on a page
 * takes the focus (browsers honour the first `autofocus`).
 */
export function field(name: string, label: string, options: FieldOptions = {}): SafeHtml {
  const { type = 'text', autocomplete = 'off', value, errors = [], hint, required = true } = options;
  const id = options.id ?? name;
  const describedBy = [hint ? `${id}-hint` : '', errors.length ? `${id}-error` : ''].filter(Boolean).join(' ');
  const attributes = html`${value !== undefined && type !== 'password' ? html` value="${value}"` : ''}${required ? html` required` : ''}${
    errors.length ? html` aria-invalid="true" autofocus` : ''}${describedBy ? html` aria-describedby="${describedBy}"` : ''}`;
  return html`<div><label for="${id}">${label}</label>
<input id="${id}" name="${name}" type="${type}" autocomplete="${autocomplete}"${attributes}>
${hint ? html`<div id="${id}-hint" class="hint">${hint}</div>` : ''}${errors.length ? html`<span id="${id}-error" class="field-error">${errors.join(' ')}</span>` : ''}</div>`;
}

/** The errors that belong to no single field, above the form, announced at once. */
export function formErrors(errors: FieldErrors): SafeHtml | '' {
  return errors.form?.length ? html`<p class="error" role="alert">${errors.form.join(' ')}</p>` : '';
}

/** Adds `message` under `key`. */
export function addError(errors: FieldErrors, key: string, message: string): FieldErrors {
  (errors[key] ??= []).push(message);
  return errors;
}

/**
 * Every rule of the configured policy (src/passwords/policy.ts) as a list under a new-password field, so a person
 * learns them before the first try rather than one refusal at a time: the length range (the 2048 cap always
 * applies), each required character class, each custom pattern.
 */
export function passwordHint(lang: Lang, policy: PasswordPolicy): SafeHtml {
  const rules = [
    t(lang, 'password.hint.length', { min: policy.minLength, max: MAX_PASSWORD_LENGTH }),
    ...(['lowercase', 'uppercase', 'number', 'symbol'] as const).filter((rule) => policy[rule]).map((rule) => t(lang, `password.hint.${rule}`)),
    ...policy.custom.map((pattern) => t(lang, 'password.hint.custom', { pattern })),
  ];
  return html`${t(lang, 'password.hint')}<ul>${rules.map((rule) => html`<li>${rule}</li>`)}</ul>`;
}

/**
 * One unmet password rule (src/passwords/policy.ts, whose messages are English) in the page's language; the
 * minimum length comes from the configured policy.
 */
export function policyMessage(lang: Lang, violation: { rule?: string; message: string; pattern?: string }, policy: PasswordPolicy): string {
  switch (violation.rule) {
    case 'minLength': return t(lang, 'password.rule.minLength', { min: policy.minLength });
    case 'maxLength': return t(lang, 'password.rule.maxLength', { max: MAX_PASSWORD_LENGTH });
    case 'lowercase': return t(lang, 'password.rule.lowercase');
    case 'uppercase': return t(lang, 'password.rule.uppercase');
    case 'number': return t(lang, 'password.rule.number');
    case 'symbol': return t(lang, 'password.rule.symbol');
    case 'custom': return t(lang, 'password.rule.custom', { pattern: violation.pattern ?? '' });
    default: return t(lang, 'password.rule', { message: violation.message });
  }
}

/**
 * Turns the field errors of a problem (validation, password policy, conflicts) into translated messages next to
 * `fields`, the inputs the form has; anything about another field goes above the form. `messagesOf` names the
 * message group of a field whose wording differs from its name (the login form's `email` takes a user name too).
 */
export function translateFieldErrors(
  lang: Lang, errors: FieldError[], fields: readonly string[], policy: PasswordPolicy, messagesOf: Record<string, string> = {},
): FieldErrors {
  const out: FieldErrors = {};
  for (const error of errors) {
    if (!fields.includes(error.field)) {
      addError(out, 'form', t(lang, error.message === 'is not allowed' ? 'form.notAllowed' : 'form.invalidField', { field: error.field }));
      continue;
    }
    const message = fieldMessage(lang, error, policy, messagesOf[error.field] ?? error.field);
    if (!out[error.field]?.includes(message)) addError(out, error.field, message);
  }
  return out;
}

/** `field.<messages>.required|taken|invalid`, by what the (English) error says; policy violations by their rule. */
function fieldMessage(lang: Lang, error: FieldError, policy: PasswordPolicy, messages: string): string {
  if (error.field === 'password' && error.rule) return policyMessage(lang, error, policy);
  const kind = /^is required|fewer than 1 character/.test(error.message) ? 'required' : error.message === 'is already registered' ? 'taken' : 'invalid';
  const key = `field.${messages}.${kind}`;
  if (isMessageKey(key)) return t(lang, key);
  return t(lang, 'form.invalidField', { field: error.field });
}
