import type { AccountView } from '../accounts/account.view.js';
import { localTime } from '../accounts/session-list.js';
import { html, type SafeHtml } from '../pages/layout.js';
import { at, type AdminMessageKey } from './admin-messages.js';
import { csrfField, labelledCell } from './admin-page.js';
import { may, type ConsoleCaller } from './console-access.js';
import { copyField, copyScript, copyWords } from './copy-script.js';

export const API_KEYS_PATH = '/admin/api-keys';

/** What the list shows: a page of API-key accounts, the cursor of the next, the token's lifetime, and a notice. */
export interface ApiKeyListState {
  items: AccountView[];
  nextAfter?: string;
  ttlDays: number;
  revoked: boolean;
}

/** The list's body: what an API key is, "Create" for those who may, the table, the pager. */
export function apiKeyListBody(caller: ConsoleCaller, state: ApiKeyListState): SafeHtml {
  const { lang } = caller;
  const notice = state.revoked ? html`<p class="ok notice" role="status">${at(lang, 'apiKeys.revoked')}</p>` : '';
  // Creating is a plain post: nothing is lost by it, and its answer is the one page that shows the token.
  const create = may(caller, 'accounts:create-anonymous')
    ? html`<form method="post" action="${API_KEYS_PATH}" class="actions">${csrfField(caller)}<button type="submit">${at(lang, 'apiKeys.create')}</button></form>`
    : '';
  const pager = state.nextAfter
    ? html`<nav class="pager" aria-label="${at(lang, 'accounts.paging')}"><a href="${API_KEYS_PATH}">${at(lang, 'accounts.first')}</a><a href="${API_KEYS_PATH}?after=${state.nextAfter}" rel="next">${at(lang, 'apiKeys.more')}</a></nav>`
    : '';
  return html`${notice}<p>${at(lang, 'apiKeys.intro', { days: state.ttlDays })}</p>${create}${table(caller, state.items)}${pager}`;
}

function table(caller: ConsoleCaller, items: AccountView[]): SafeHtml {
  const { lang } = caller;
  if (!items.length) return html`<p>${at(lang, 'apiKeys.none')}</p>`;
  const revoke = may(caller, 'accounts:delete');
  const columns: AdminMessageKey[] = ['apiKeys.col.name', 'apiKeys.col.created', 'apiKeys.col.permissions', ...(revoke ? ['apiKeys.col.actions' as const] : [])];
  const rows = items.map((key) => {
    const granted = key.permissions;
    const action = revoke
      ? labelledCell(at(lang, 'apiKeys.col.actions'), html`<a href="${API_KEYS_PATH}/${key.id}/revoke" aria-label="${at(lang, 'apiKeys.revokeLabel', { name: key.username })}">${at(lang, 'apiKeys.revoke')}</a>`)
      : '';
    return html`<tr><th scope="row" data-label="${at(lang, 'apiKeys.col.name')}"><a href="/admin/accounts/${key.id}">${key.username}</a></th>
${labelledCell(at(lang, 'apiKeys.col.created'), localTime(Date.parse(key.createdAt)))}
${labelledCell(at(lang, 'apiKeys.col.permissions'), granted.length ? html`${granted.map((p, i) => html`${i ? ', ' : ''}<code>${p}</code>`)}` : '—')}${action}</tr>`;
  });
  return html`<table class="stack" id="api-keys"><caption>${at(lang, 'apiKeys.caption')}</caption>
<thead><tr>${columns.map((column) => html`<th scope="col">${at(lang, column)}</th>`)}</tr></thead>
<tbody>${rows}</tbody></table>`;
}

/** The answer to "Create": the token, once, as selectable text with Copy, and the way to its account. */
export function apiKeyCreatedBody(caller: ConsoleCaller, key: { jwt: string; accountID: string; username: string }): SafeHtml {
  const { lang } = caller;
  const words = copyWords(lang, at(lang, 'apiKeys.token'));
  return html`<p class="notice">${at(lang, 'apiKeys.createdText')}</p>
${copyField('token', key.jwt, words, 8)}
<p><a href="/admin/accounts/${key.accountID}">${at(lang, 'apiKeys.account', { name: key.username })}</a></p>
<p><a href="${API_KEYS_PATH}">${at(lang, 'apiKeys.back')}</a></p>${copyScript()}`;
}

/** "Revoke …?": what revoking does, and the form that does it. */
export function apiKeyRevokeBody(caller: ConsoleCaller, key: AccountView): SafeHtml {
  const { lang } = caller;
  return html`<p>${at(lang, 'apiKeys.confirmText')}</p>
<form method="post" action="${API_KEYS_PATH}/${key.id}/revoke">${csrfField(caller)}<div class="actions"><button type="submit" class="danger">${at(lang, 'apiKeys.confirmSubmit')}</button><a href="${API_KEYS_PATH}">${at(lang, 'confirm.cancel')}</a></div></form>`;
}
