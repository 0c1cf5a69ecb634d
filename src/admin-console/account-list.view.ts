import type { AccountView } from '../accounts/account.view.js';
import { localTime } from '../accounts/session-list.js';
import type { Lang } from '../pages/i18n.js';
import { html, type SafeHtml } from '../pages/layout.js';
import { at, type AdminMessageKey } from './admin-messages.js';
import type { ListQuery } from './account-list.routes.js';
import type { ConsoleCaller } from './console-access.js';
import { labelledCell } from './admin-page.js';

/** What one page of the list shows: the filters as sent, its accounts, the cursor of the next page, the group names. */
export interface ListState {
  query: ListQuery;
  items: AccountView[];
  /** The `after` of the next page; absent on the last page. */
  nextAfter?: string;
  /** Group names for the group filter; null when the caller may not read groups (it types a name instead). */
  groups: string[] | null;
}

const TYPES = ['user', 'guest', 'apikey'] as const;

/** The list page's body: the filter form, the table, the pager. */
export function accountListBody(caller: ConsoleCaller, state: ListState): SafeHtml {
  const { lang } = caller;
  const notice = state.query.done === 'deleted' ? html`<p class="ok notice" role="status">${at(lang, 'accounts.deleted')}</p>` : '';
  return html`${notice}${filterForm(lang, state)}${table(lang, state)}${pager(lang, state)}`;
}

function filterForm(lang: Lang, state: ListState): SafeHtml {
  const { query } = state;
  const option = (value: string, label: string, selected: string | undefined) =>
    html`<option value="${value}"${(selected ?? '') === value ? html` selected` : ''}>${label}</option>`;
  const any = (selected: string | undefined) => option('', at(lang, 'accounts.any'), selected);
  const group = state.groups === null
    ? html`<input id="filter-group" name="group" type="text" value="${query.group ?? ''}" autocomplete="off">`
    : html`<select id="filter-group" name="group">${any(query.group)}${state.groups.map((name) => option(name, name, query.group))}</select>`;
  return html`<section aria-labelledby="filters"><h2 id="filters">${at(lang, 'accounts.filters')}</h2>
<form method="get" action="/admin/accounts" class="filters" role="search">
<div class="wide"><label for="filter-q">${at(lang, 'accounts.search')}</label><input id="filter-q" name="q" type="search" value="${query.q ?? ''}" maxlength="254" autocomplete="off"></div>
<div><label for="filter-group">${at(lang, 'accounts.group')}</label>${group}</div>
<div><label for="filter-role">${at(lang, 'accounts.role')}</label><select id="filter-role" name="role">${any(query.role)}${option('admin', 'admin', query.role)}${option('sysadmin', 'sysadmin', query.role)}</select></div>
<div><label for="filter-type">${at(lang, 'accounts.type')}</label><select id="filter-type" name="type">${any(query.type)}${TYPES.map((type) => option(type, at(lang, `accounts.type.${type}`), query.type))}</select></div>
<div><label for="filter-confirmed">${at(lang, 'accounts.confirmed')}</label><select id="filter-confirmed" name="confirmed">${any(query.confirmed)}${option('yes', at(lang, 'accounts.yes'), query.confirmed)}${option('no', at(lang, 'accounts.no'), query.confirmed)}</select></div>
<div><label for="filter-mfa">${at(lang, 'accounts.mfa')}</label><select id="filter-mfa" name="mfa">${any(query.mfa)}${option('yes', at(lang, 'accounts.yes'), query.mfa)}${option('no', at(lang, 'accounts.no'), query.mfa)}</select></div>
<div class="filter-actions"><button type="submit">${at(lang, 'accounts.apply')}</button><a href="/admin/accounts">${at(lang, 'accounts.clear')}</a></div>
</form></section>`;
}

function table(lang: Lang, state: ListState): SafeHtml {
  if (!state.items.length) return html`<p role="status">${at(lang, 'accounts.none')}</p>`;
  const columns: AdminMessageKey[] = ['accounts.col.account', 'accounts.col.type', 'accounts.col.roles', 'accounts.col.groups', 'accounts.col.confirmed', 'accounts.col.created', 'accounts.col.lastLogin'];
  const cell = (column: AdminMessageKey, content: unknown) => labelledCell(at(lang, column), content);
  const rows = state.items.map((account) => html`<tr>
<th scope="row" data-label="${at(lang, 'accounts.col.account')}"><a href="/admin/accounts/${account.id}">${account.email ?? account.username}</a>${account.email && account.email !== account.username ? html`<br><span class="hint">${account.username}</span>` : ''}</th>
${cell('accounts.col.type', at(lang, `accounts.type.${account.type}`))}
${cell('accounts.col.roles', account.roles.filter((role) => role !== 'user').join(', ') || '—')}
${cell('accounts.col.groups', account.groups.join(', ') || '—')}
${cell('accounts.col.confirmed', at(lang, account.confirmed ? 'accounts.yes' : 'accounts.no'))}
${cell('accounts.col.created', localTime(Date.parse(account.createdAt)))}
${cell('accounts.col.lastLogin', account.lastLoginAt ? localTime(Date.parse(account.lastLoginAt)) : at(lang, 'accounts.never'))}
</tr>`);
  const caption = at(lang, state.query.after ? 'accounts.captionFrom' : 'accounts.caption');
  return html`<table class="stack"><caption>${caption}</caption>
<thead><tr>${columns.map((column) => html`<th scope="col">${at(lang, column)}</th>`)}</tr></thead>
<tbody>${rows}</tbody></table>`;
}

function pager(lang: Lang, state: ListState): SafeHtml | '' {
  const first = state.query.after ? html`<a href="${pageUrl(state.query)}">${at(lang, 'accounts.first')}</a>` : '';
  const next = state.nextAfter ? html`<a href="${pageUrl(state.query, state.nextAfter)}" rel="next">${at(lang, 'accounts.next')}</a>` : '';
  if (!first && !next) return '';
  return html`<nav class="pager" aria-label="${at(lang, 'accounts.paging')}">${first}${next}</nav>`;
}

/** The list's URL with the same filters, starting after `after` (or at the start). */
function pageUrl(query: ListQuery, after?: string): string {
  const params = new URLSearchParams();
  for (const key of ['q', 'group', 'role', 'type', 'confirmed', 'mfa'] as const) {
    const value = query[key];
    if (value) params.set(key, value);
  }
  if (after) params.set('after', after);
  const text = params.toString();
  return text ? `/admin/accounts?${text}` : '/admin/accounts';
}
