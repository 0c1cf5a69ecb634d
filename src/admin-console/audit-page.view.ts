import { localTime } from '../accounts/session-list.js';
import type { AuditEventRow } from '../audit/audit.repository.js';
import type { Lang } from '../pages/i18n.js';
import { html, type SafeHtml } from '../pages/layout.js';
import { eventDetails } from './account-detail.view.js';
import { at, type AdminMessageKey } from './admin-messages.js';
import { labelledCell } from './admin-page.js';
import { AUDIT_PAGE_SIZE, AUDIT_PATH, type AuditQuery } from './audit-page.routes.js';
import type { ConsoleCaller } from './console-access.js';

/** What one page of the log shows: the filters as sent, the page number, its events and how many match in all. */
export interface AuditState {
  query: AuditQuery;
  page: number;
  rows: AuditEventRow[];
  total: number;
}

const FILTERS = ['type', 'actor', 'account', 'from', 'to'] as const;

/** The audit log's body: the filter form, the CSV link, the table, the pager. */
export function auditBody(caller: ConsoleCaller, state: AuditState): SafeHtml {
  const { lang } = caller;
  return html`${filterForm(lang, state.query)}<p><a href="${urlOf(`${AUDIT_PATH}.csv`, state.query)}" download>${at(lang, 'audit.csv')}</a></p>
${table(lang, state)}${pager(lang, state)}`;
}

function filterForm(lang: Lang, query: AuditQuery): SafeHtml {
  const field = (name: (typeof FILTERS)[number], label: AdminMessageKey, type: string, extra: SafeHtml | '' = '') =>
    html`<div><label for="filter-${name}">${at(lang, label)}</label><input id="filter-${name}" name="${name}" type="${type}" value="${query[name] ?? ''}" autocomplete="off"${extra}></div>`;
  const time = html` step="60"`;
  return html`<section aria-labelledby="filters"><h2 id="filters">${at(lang, 'audit.filters')}</h2>
<form method="get" action="${AUDIT_PATH}" class="filters" role="search">
${field('type', 'audit.type', 'text', html` maxlength="64" spellcheck="false"`)}
${field('actor', 'audit.actor', 'text', html` maxlength="254"`)}
${field('account', 'audit.account', 'text', html` maxlength="254"`)}
${field('from', 'audit.from', 'datetime-local', time)}
${field('to', 'audit.to', 'datetime-local', time)}
<div class="filter-actions"><button type="submit">${at(lang, 'audit.apply')}</button><a href="${AUDIT_PATH}">${at(lang, 'audit.clear')}</a></div>
</form></section>`;
}

function table(lang: Lang, state: AuditState): SafeHtml {
  if (!state.rows.length) return html`<p role="status">${at(lang, 'audit.none')}</p>`;
  const columns: AdminMessageKey[] = ['audit.col.time', 'audit.col.type', 'audit.col.account', 'audit.col.address', 'audit.col.details'];
  const cell = (column: AdminMessageKey, content: unknown) => labelledCell(at(lang, column), content);
  const rows = state.rows.map((event) => html`<tr>
<th scope="row" data-label="${at(lang, 'audit.col.time')}">${localTime(Number(event.at))}</th>
${cell('audit.col.type', html`<code>${event.type}</code>`)}
${cell('audit.col.account', accountCell(event))}
${cell('audit.col.address', event.inet_address ?? '—')}
${cell('audit.col.details', eventDetails(lang, event.data))}
</tr>`);
  const first = (state.page - 1) * AUDIT_PAGE_SIZE + 1;
  const caption = at(lang, 'audit.caption', { first, last: first + state.rows.length - 1, total: state.total });
  return html`<table class="stack events" id="events"><caption>${caption}</caption>
<thead><tr>${columns.map((column) => html`<th scope="col">${at(lang, column)}</th>`)}</tr></thead>
<tbody>${rows}</tbody></table>`;
}

/** The account an event is about, linked to its page; the login name typed, for a sign-in without an account. */
function accountCell(event: AuditEventRow): SafeHtml | string {
  if (event.account_id) return html`<a href="/admin/accounts/${event.account_id}"><code>${event.account_id.slice(0, 8)}</code>…</a>${event.login_name ? html`<br><span class="hint">${event.login_name}</span>` : ''}`;
  return event.login_name ?? '—';
}

function pager(lang: Lang, state: AuditState): SafeHtml | '' {
  const newer = state.page > 1 ? html`<a href="${urlOf(AUDIT_PATH, state.query, state.page - 1)}" rel="prev">${at(lang, 'audit.newer')}</a>` : '';
  const older = state.page * AUDIT_PAGE_SIZE < state.total ? html`<a href="${urlOf(AUDIT_PATH, state.query, state.page + 1)}" rel="next">${at(lang, 'audit.older')}</a>` : '';
  if (!newer && !older) return '';
  return html`<nav class="pager" aria-label="${at(lang, 'audit.paging')}">${newer}${older}</nav>`;
}

/** `path` with the same filters (and a page number past the first). */
function urlOf(path: string, query: AuditQuery, page = 1): string {
  const params = new URLSearchParams();
  for (const key of FILTERS) {
    const value = query[key];
    if (value) params.set(key, value);
  }
  if (page > 1) params.set('page', String(page));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}
