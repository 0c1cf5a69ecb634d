import type { FastifyRequest } from 'fastify';
import type { Client } from '../clients/client.repository.js';
import { toProblem } from '../http/problem.js';
import { prefersHtml } from '../pages/error-page.js';
import { field, translateFieldErrors, type FieldErrors } from '../pages/forms.js';
import { t, type Lang } from '../pages/i18n.js';
import { html, type SafeHtml } from '../pages/layout.js';
import type { PasswordPolicy } from '../passwords/policy.js';

/**
 * What `GET /auth/password-reset` does with a query that did not validate: a person whose only problem is the e-mail
 * (none yet, or a mistyped one) gets the reset form — `errors` empty when there was none to check; anything else
 * (a bad clientID, an API caller) is thrown on, exactly as before the form existed.
 */
export function emailFormInstead(request: FastifyRequest, invalid: Error, policy: PasswordPolicy, lang: Lang): { errors: FieldErrors } | null {
  if (!prefersHtml(request)) return null;
  const problems = toProblem(invalid).problem.errors ?? [];
  if (!problems.length || problems.some((error) => error.field !== 'email')) return null;
  const missing = problems.every((error) => error.message === 'is required');
  return { errors: missing ? {} : translateFieldErrors(lang, problems, ['email'], policy) };
}

/**
 * The reset form of its own (issue 16): the same plain GET form the login page offers, so submitting it is that
 * form's request — `?clientID=&email=` mails the link and says "check your e-mail". No form token: like the login
 * page's, it starts no session and changes nothing but sending a mail, which is rate limited.
 */
export function resetRequestForm(lang: Lang, client: Client, errors: FieldErrors, email?: string): SafeHtml {
  return html`<p>${t(lang, 'forgot.intro')}</p>
<form method="get" action="/auth/password-reset"><input type="hidden" name="clientID" value="${client.clientID}">
${field('email', t(lang, 'login.forgotEmail'), { type: 'email', autocomplete: 'email', value: email, errors: errors.email })}
<button type="submit">${t(lang, 'login.forgotSubmit')}</button>
</form>
<p><a href="/auth/login?clientID=${encodeURIComponent(client.clientID)}">${t(lang, 'checkEmail.back')}</a></p>`;
}
