import type { Client } from '../clients/client.repository.js';
import { formTokenField } from '../pages/form-token.js';
import { field, formErrors, type FieldErrors } from '../pages/forms.js';
import { t, type Lang } from '../pages/i18n.js';
import { html, type SafeHtml } from '../pages/layout.js';

/** Where the new-link form posts: the hosted resend, for the client the page serves (its link then leads back there). */
function resendAction(client: Client | null): string {
  return client ? `/auth/confirmation?clientID=${encodeURIComponent(client.clientID)}` : '/auth/confirmation';
}

/** An e-mail worth filling in: the login form's name field takes a user name too, which is no address to mail. */
function addressOrNothing(typed: string | undefined): string | undefined {
  return typed !== undefined && typed.includes('@') ? typed : undefined;
}

/**
 * The offer under a login refused as account-not-confirmed (issue 16 item 3): one button that mails a new link.
 * It carries the page's form token, like every hosted form that is not a session's start from a client's site.
 */
export function resendConfirmationForm(lang: Lang, client: Client, token: string, typed: string | undefined): SafeHtml {
  return html`<section aria-labelledby="resend"><h2 id="resend">${t(lang, 'resend.offer')}</h2>
<form method="post" action="${resendAction(client)}">${formTokenField(token)}
${field('email', t(lang, 'resend.email'), { id: 'resend-email', type: 'email', autocomplete: 'email', value: addressOrNothing(typed) })}
<button type="submit">${t(lang, 'resend.submit')}</button>
</form></section>`;
}

/** The new-link page of its own (`GET /auth/confirmation`), and the same form again after a refused post. */
export function resendConfirmationPage(lang: Lang, client: Client | null, token: string, errors: FieldErrors, typed?: string): SafeHtml {
  const back = client ? html`<p><a href="/auth/login?clientID=${encodeURIComponent(client.clientID)}">${t(lang, 'checkEmail.back')}</a></p>` : '';
  return html`<p>${t(lang, 'resend.intro')}</p>
${formErrors(errors)}<form method="post" action="${resendAction(client)}">${formTokenField(token)}
${field('email', t(lang, 'resend.email'), { type: 'email', autocomplete: 'email', value: typed, errors: errors.email })}
<button type="submit">${t(lang, 'resend.submit')}</button>
</form>
${back}`;
}

/** The answer to a resend: the same words whether or not a mail went out (no enumeration). */
export function resendSentPage(lang: Lang, client: Client | null, email: string, ttl: string): SafeHtml {
  const back = client ? html`<p><a href="/auth/login?clientID=${encodeURIComponent(client.clientID)}">${t(lang, 'checkEmail.back')}</a></p>` : '';
  return html`<p class="ok" role="status">${t(lang, 'resend.sent', { email })}</p>
<p>${t(lang, 'link.expires', { ttl })}</p>
${back}`;
}

/** The registration's answer with `signup.tokenBeforeConfirmation: false`: the token waits for the link. */
export function registeredCheckEmailPage(lang: Lang, email: string, ttl: string): SafeHtml {
  return html`<p class="ok" role="status">${t(lang, 'registered.sent', { email })}</p>
<p>${t(lang, 'link.expires', { ttl })}</p>`;
}
