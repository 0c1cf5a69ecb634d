import { localTime } from '../accounts/session-list.js';
import type { InviteView } from '../invites/invite.service.js';
import { field } from '../pages/forms.js';
import { html, type SafeHtml } from '../pages/layout.js';
import { at, type AdminMessageKey } from './admin-messages.js';
import { csrfField, labelledCell } from './admin-page.js';
import { may, type ConsoleCaller } from './console-access.js';
import { copyField, copyScript, copyWords } from './copy-script.js';

export const INVITES_PATH = '/admin/invites';

/** What the list shows: a page of unused invites, the links to the pages around it, and a notice. */
export interface InviteListState {
  items: InviteView[];
  previous: string | null;
  next: string | null;
  revoked: boolean;
}

/** The list's body: what an invite is, the form that makes codes (for those who may), the table, the pager. */
export function inviteListBody(caller: ConsoleCaller, state: InviteListState): SafeHtml {
  const { lang } = caller;
  const notice = state.revoked ? html`<p class="ok notice" role="status">${at(lang, 'invites.revoked')}</p>` : '';
  const create = may(caller, 'invites:write')
    ? html`<form method="post" action="${INVITES_PATH}">${csrfField(caller)}${field('count', at(lang, 'invites.count'), { type: 'number', value: '1' })}<div class="actions"><button type="submit">${at(lang, 'invites.create')}</button></div></form>`
    : '';
  const links = [
    state.previous ? html`<a href="${state.previous}" rel="prev">${at(lang, 'invites.previous')}</a>` : '',
    state.next ? html`<a href="${state.next}" rel="next">${at(lang, 'invites.more')}</a>` : '',
  ];
  const pager = state.previous || state.next ? html`<nav class="pager" aria-label="${at(lang, 'accounts.paging')}">${links}</nav>` : '';
  return html`${notice}<p>${at(lang, 'invites.intro')}</p>${create}${table(caller, state.items)}${pager}`;
}

function table(caller: ConsoleCaller, items: InviteView[]): SafeHtml {
  const { lang } = caller;
  if (!items.length) return html`<p>${at(lang, 'invites.none')}</p>`;
  const revoke = may(caller, 'invites:write');
  const linkAccounts = may(caller, 'accounts:read');
  const columns: AdminMessageKey[] = ['invites.col.id', 'invites.col.created', 'invites.col.by', ...(revoke ? ['invites.col.actions' as const] : [])];
  const rows = items.map((invite) => {
    const by = invite.createdBy === null ? '—' : linkAccounts ? html`<a href="/admin/accounts/${invite.createdBy}"><code>${invite.createdBy}</code></a>` : html`<code>${invite.createdBy}</code>`;
    const action = revoke
      ? labelledCell(at(lang, 'invites.col.actions'), html`<a href="${INVITES_PATH}/${invite.id}/revoke" aria-label="${at(lang, 'invites.revokeLabel', { id: invite.id })}">${at(lang, 'invites.revoke')}</a>`)
      : '';
    return html`<tr><th scope="row" data-label="${at(lang, 'invites.col.id')}"><code>${invite.id}</code></th>
${labelledCell(at(lang, 'invites.col.created'), localTime(Date.parse(invite.createdAt)))}
${labelledCell(at(lang, 'invites.col.by'), by)}${action}</tr>`;
  });
  return html`<table class="stack" id="invites"><caption>${at(lang, 'invites.caption')}</caption>
<thead><tr>${columns.map((column) => html`<th scope="col">${at(lang, column)}</th>`)}</tr></thead>
<tbody>${rows}</tbody></table>`;
}

/** The answer to "Create": the codes, once, as selectable text (one a line) with Copy. */
export function invitesCreatedBody(caller: ConsoleCaller, codes: string[]): SafeHtml {
  const { lang } = caller;
  const label = at(lang, codes.length === 1 ? 'invites.code' : 'invites.codes');
  const words = copyWords(lang, label);
  return html`<p class="notice">${at(lang, 'invites.createdText')}</p>
${copyField('codes', codes.join('\n'), words, codes.length === 1 ? 1 : Math.min(codes.length, 12))}
<p><a href="${INVITES_PATH}">${at(lang, 'invites.back')}</a></p>${copyScript()}`;
}

/** "Withdraw this invite?": which one, what it means, and the form that does it. */
export function inviteRevokeBody(caller: ConsoleCaller, invite: InviteView): SafeHtml {
  const { lang } = caller;
  const [before, after] = at(lang, 'invites.confirmText', { time: '\u0000' }).split('\u0000');
  return html`<p>${before}${localTime(Date.parse(invite.createdAt))}${after}</p><p><code>${invite.id}</code></p>
<form method="post" action="${INVITES_PATH}/${invite.id}/revoke">${csrfField(caller)}<div class="actions"><button type="submit" class="danger">${at(lang, 'invites.confirmSubmit')}</button><a href="${INVITES_PATH}">${at(lang, 'confirm.cancel')}</a></div></form>`;
}
