import type { AccountView } from '../accounts/account.view.js';
import { localTime } from '../accounts/session-list.js';
import type { AuditEventRow } from '../audit/audit.repository.js';
import type { SessionRow } from '../db/types.js';
import type { FactorSummary } from '../mfa/second-factors.js';
import type { Lang } from '../pages/i18n.js';
import { html, type SafeHtml } from '../pages/layout.js';
import { describeDevice } from '../sessions/device.js';
import { at, type AdminMessageKey } from './admin-messages.js';
import { csrfField, labelledCell } from './admin-page.js';
import type { ConsoleCaller } from './console-access.js';

/** What one account's page shows; a part the caller may not read is null and left out. */
export interface AccountDetail {
  view: AccountView;
  /** Effective permissions: own, groups' and roles' (AccountService.principal, what rank compares). */
  effective: string[];
  sessions: SessionRow[] | null;
  factors: FactorSummary;
  events: AuditEventRow[] | null;
  /** The actions the caller may take on this account: its permission and its rank (the services check both again). */
  can: { confirm: boolean; endSessions: boolean; resetMfa: boolean; delete: boolean };
  /** The caller holds less than the account (CONTRACT §3): nothing may be changed. */
  outranked: boolean;
}

/** What a changed account's page announces after the redirect (`?done=`). */
export const DONE = ['confirmed', 'session-ended', 'sessions-ended', 'mfa-reset'] as const;
export type Done = (typeof DONE)[number];

/** The name an account goes by on the console's pages: its e-mail, else its user name. */
export function nameOf(view: AccountView): string {
  return view.email ?? view.username;
}

/** The account page's body: notice, profile, access, sessions, factors, events, deletion. */
export function accountDetailBody(caller: ConsoleCaller, detail: AccountDetail, done?: Done): SafeHtml {
  const { lang } = caller;
  const notice = done ? html`<p class="ok notice" role="status">${at(lang, `account.done.${done}`)}</p>` : '';
  const rank = detail.outranked ? html`<p class="notice" role="note">${at(lang, 'account.rank')}</p>` : '';
  return html`${notice}${rank}${profile(caller, detail)}${access(lang, detail)}${sessions(caller, detail)}${factors(caller, detail)}${events(lang, detail)}${deletion(caller, detail)}`;
}

const base = (detail: AccountDetail) => `/admin/accounts/${detail.view.id}`;

function section(id: string, title: string, content: SafeHtml): SafeHtml {
  return html`<section aria-labelledby="${id}"><h2 id="${id}">${title}</h2>${content}</section>`;
}

function facts(lang: Lang, rows: Array<[AdminMessageKey, unknown]>): SafeHtml {
  return html`<dl class="facts">${rows.map(([label, value]) => html`<dt>${at(lang, label)}</dt><dd>${value}</dd>`)}</dl>`;
}

function profile(caller: ConsoleCaller, detail: AccountDetail): SafeHtml {
  const { lang } = caller;
  const { view } = detail;
  const yesNo = (value: boolean) => at(lang, value ? 'accounts.yes' : 'accounts.no');
  const confirm = !view.confirmed && detail.can.confirm
    ? html`<div class="actions"><form method="post" action="${base(detail)}/confirm">${csrfField(caller)}<button type="submit">${at(lang, 'account.confirm')}</button></form></div>`
    : '';
  return section('profile', at(lang, 'account.profile'), html`${facts(lang, [
    ['account.username', view.username],
    ['account.email', view.email ?? '—'],
    ['account.type', at(lang, `accounts.type.${view.type}`)],
    ['account.confirmed', yesNo(view.confirmed)],
    ['account.language', view.language ?? '—'],
    ['account.created', localTime(Date.parse(view.createdAt))],
    ['account.lastLogin', view.lastLoginAt ? localTime(Date.parse(view.lastLoginAt)) : at(lang, 'accounts.never')],
    ['account.password', view.hasPassword ? at(lang, 'account.passwordSet') : at(lang, 'account.none')],
    ...(view.pendingEmail ? [['account.pendingEmail', view.pendingEmail] as [AdminMessageKey, unknown]] : []),
  ])}${confirm}`);
}

function list(lang: Lang, items: string[], code = false): SafeHtml | string {
  if (!items.length) return at(lang, 'account.none');
  return html`<ul class="plain">${items.map((item) => (code ? html`<li><code>${item}</code></li>` : html`<li>${item}</li>`))}</ul>`;
}

function access(lang: Lang, detail: AccountDetail): SafeHtml {
  const { view } = detail;
  return section('access', at(lang, 'account.access'), facts(lang, [
    ['account.roles', list(lang, view.roles)],
    ['account.groups', list(lang, view.groups)],
    ['account.ownPermissions', list(lang, view.permissions, true)],
    ['account.effective', list(lang, [...detail.effective].sort(), true)],
  ]));
}

function sessions(caller: ConsoleCaller, detail: AccountDetail): SafeHtml | '' {
  if (detail.sessions === null) return '';
  const { lang } = caller;
  if (!detail.sessions.length) return section('sessions', at(lang, 'account.sessions'), html`<p>${at(lang, 'account.sessions.none')}</p>`);
  const rows = detail.sessions.map((row) => {
    const device = describeDevice(row.user_agent, at(lang, 'account.session.on')) ?? at(lang, 'account.session.unknownDevice');
    const current = row.id === caller.sessionId ? html` (${at(lang, 'account.session.current')})` : '';
    const end = detail.can.endSessions
      ? html`<form method="post" action="${base(detail)}/sessions/end">${csrfField(caller)}<input type="hidden" name="session" value="${row.id}"><button type="submit" class="secondary" aria-label="${at(lang, 'account.session.endLabel', { device })}">${at(lang, 'account.session.end')}</button></form>`
      : '';
    return html`<tr>${labelledCell(at(lang, 'account.session.device'), html`<strong title="${row.user_agent ?? ''}">${device}</strong>${current}<br><span class="hint">${row.inet_address ?? '—'}</span>`)}
${labelledCell(at(lang, 'account.session.how'), html`${row.method}${row.client_id ? html` · ${row.client_id}` : ''}<br><span class="hint">${localTime(row.login_time)} · ${at(lang, 'account.session.lastAccess')} ${localTime(row.last_access)}</span>`)}
${detail.can.endSessions ? html`<td>${end}</td>` : ''}</tr>`;
  });
  const endAll = detail.can.endSessions ? html`<div class="actions"><a class="button secondary" href="${base(detail)}/end-sessions">${at(lang, 'account.sessions.endAll')}</a></div>` : '';
  return section('sessions', at(lang, 'account.sessions'), html`<table class="stack"><thead><tr><th scope="col">${at(lang, 'account.session.device')}</th><th scope="col">${at(lang, 'account.session.how')}</th>${detail.can.endSessions ? html`<th scope="col"><span class="hint">${at(lang, 'account.session.end')}</span></th>` : ''}</tr></thead>
<tbody>${rows}</tbody></table>${endAll}`);
}

function factors(caller: ConsoleCaller, detail: AccountDetail): SafeHtml {
  const { lang } = caller;
  const summary = detail.factors;
  const yesNo = (value: boolean) => at(lang, value ? 'accounts.yes' : 'accounts.no');
  const any = summary.totp || summary.passkeys > 0 || summary.recoveryCodesLeft > 0;
  const reset = any && detail.can.resetMfa ? html`<div class="actions"><a class="button secondary" href="${base(detail)}/reset-mfa">${at(lang, 'account.factors.reset')}</a></div>` : '';
  return section('factors', at(lang, 'account.factors'), html`${facts(lang, [
    ['account.factors.totp', yesNo(summary.totp)],
    ['account.factors.passkeys', summary.passkeys],
    ['account.factors.recovery', summary.recoveryCodesLeft],
    ['account.factors.required', yesNo(summary.required)],
  ])}${reset}`);
}

function events(lang: Lang, detail: AccountDetail): SafeHtml | '' {
  if (detail.events === null) return '';
  if (!detail.events.length) return section('events', at(lang, 'account.audit'), html`<p>${at(lang, 'account.audit.none')}</p>`);
  const rows = detail.events.map((event) => html`<tr>${labelledCell(at(lang, 'account.audit.time'), localTime(Number(event.at)))}
${labelledCell(at(lang, 'account.audit.type'), html`<code>${event.type}</code>`)}
${labelledCell(at(lang, 'account.audit.address'), event.inet_address ?? '—')}
${labelledCell(at(lang, 'account.audit.details'), eventDetails(lang, event.data))}</tr>`);
  return section('events', at(lang, 'account.audit'), html`<table class="stack"><thead><tr><th scope="col">${at(lang, 'account.audit.time')}</th><th scope="col">${at(lang, 'account.audit.type')}</th><th scope="col">${at(lang, 'account.audit.address')}</th><th scope="col">${at(lang, 'account.audit.details')}</th></tr></thead>
<tbody>${rows}</tbody></table>`);
}

/** An event's data as `key: value` pairs; `by` (the actor) links to that account's page. */
export function eventDetails(lang: Lang, data: string | null): SafeHtml | string {
  if (!data) return '—';
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(data) as Record<string, unknown>;
  } catch {
    return data.slice(0, 200);
  }
  const parts = Object.entries(parsed).map(([key, value]) => {
    if (key === 'by' && typeof value === 'string' && /^[0-9a-f-]{36}$/i.test(value)) return html`${at(lang, 'account.audit.by')} <a href="/admin/accounts/${value}">${value.slice(0, 8)}…</a>`;
    return html`${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`;
  });
  return html`${parts.map((part, i) => html`${i ? html`<br>` : ''}${part}`)}`;
}

function deletion(caller: ConsoleCaller, detail: AccountDetail): SafeHtml | '' {
  if (!detail.can.delete) return '';
  const { lang } = caller;
  return section('delete', at(lang, 'account.delete'), html`<div class="actions"><a class="button secondary" href="${base(detail)}/delete">${at(lang, 'account.deleteButton')}</a></div>`);
}
