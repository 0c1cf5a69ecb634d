import { field } from '../pages/forms.js';
import { html, type SafeHtml } from '../pages/layout.js';
import { at } from './admin-messages.js';
import { csrfField } from './admin-page.js';
import { nameOf, type AccountDetail } from './account-detail.view.js';
import type { ConsoleCaller } from './console-access.js';

/** A confirmation page's title and body. */
export interface ConfirmPage {
  title: string;
  body: SafeHtml;
}

/*
 * The pages that stand between a button and an irreversible change (issue 19: "every irreversible change asks for
 * confirmation"). Plain pages with a form, so they work without script; "Cancel" is a link back to the account.
 */

function confirmForm(caller: ConsoleCaller, detail: AccountDetail, action: string, text: string, submit: string, fields: SafeHtml | '' = ''): SafeHtml {
  const back = `/admin/accounts/${detail.view.id}`;
  return html`<p>${text}</p>
<form method="post" action="${back}/${action}">${csrfField(caller)}${fields}
<div class="actions"><button type="submit" class="danger">${submit}</button><a href="${back}">${at(caller.lang, 'confirm.cancel')}</a></div></form>`;
}

/** "End all sessions of …?" */
export function endSessionsPage(caller: ConsoleCaller, detail: AccountDetail): ConfirmPage {
  const { lang } = caller;
  const count = detail.sessions?.length ?? 0;
  return {
    title: at(lang, 'endAll.title', { name: nameOf(detail.view) }),
    body: confirmForm(caller, detail, 'sessions/end-all', at(lang, 'endAll.text', { count }), at(lang, 'endAll.submit')),
  };
}

/** "Reset the second factors of …?" */
export function resetMfaPage(caller: ConsoleCaller, detail: AccountDetail): ConfirmPage {
  const { lang } = caller;
  return {
    title: at(lang, 'reset.title', { name: nameOf(detail.view) }),
    body: confirmForm(caller, detail, 'mfa/reset', at(lang, 'reset.text'), at(lang, 'reset.submit')),
  };
}

/**
 * The value a person types to delete an account: its e-mail, or its user name when it has none (API keys, guests).
 * Why typed: the one action that cannot be undone should not be one click, nor a click on the wrong row.
 */
export function deletionWord(detail: Pick<AccountDetail, 'view'>): string {
  return detail.view.email ?? detail.view.username;
}

/** "Delete …?" with the typed confirmation; `mismatch` after a wrong one. */
export function deletePage(caller: ConsoleCaller, detail: AccountDetail, mismatch = false): ConfirmPage {
  const { lang } = caller;
  const value = deletionWord(detail);
  const errors = mismatch ? [at(lang, 'delete.mismatch', { value })] : undefined;
  const typed = field('confirmation', at(lang, 'delete.type', { value }), { autocomplete: 'off', errors });
  return {
    title: at(lang, 'delete.title', { name: nameOf(detail.view) }),
    body: confirmForm(caller, detail, 'delete', at(lang, 'delete.text'), at(lang, 'delete.submit'), typed),
  };
}
