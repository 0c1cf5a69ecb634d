import { t, type Lang } from '../pages/i18n.js';
import { html, type SafeHtml } from '../pages/layout.js';
import { LOCAL_TIME_SCRIPT } from '../pages/assets.routes.js';
import { describeDevice } from '../sessions/device.js';

/** What the list shows of a session. */
export interface SessionListRow {
  id: string;
  login_time: number;
  user_agent: string | null;
  inet_address: string | null;
}

/**
 * A moment as `<time>`: the text is UTC ("2026-12-06 09:30 UTC"), true without script; the page's script file
 * (pages/assets.routes.ts) rewrites it in the browser's own zone and language from `datetime`.
 */
export function localTime(ms: number): SafeHtml {
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}" data-local>${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}

/**
 * The account page's "Where you are signed in": each live session by device ("Chrome 156 on Linux", parsed from
 * its User-Agent), address and start, with a button that ends it. Why a file of its own: the account page grows
 * other sections, and this one is all about sessions.
 */
export function sessionList(lang: Lang, rows: SessionListRow[], current: string, csrf: string): SafeHtml {
  const items = rows.map((row) => {
    const device = describeDevice(row.user_agent, t(lang, 'account.session.on')) ?? t(lang, 'account.session.unknownDevice');
    // Device over address and start, the button beside: a row that still reads on a phone's width.
    return html`<tr><td><strong class="device" title="${row.user_agent ?? ''}">${device}</strong>${row.id === current ? html` (${t(lang, 'account.session.current')})` : ''}
<br><span class="hint">${row.inet_address ?? '—'} · ${t(lang, 'account.session.since')} ${localTime(row.login_time)}</span></td>
<td><form method="post" action="/account/sessions/end"><input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="session" value="${row.id}"><button type="submit" aria-label="${t(lang, 'account.session.end')}: ${device}">${t(lang, 'account.session.end')}</button></form></td></tr>`;
  });
  return html`<section aria-labelledby="sessions"><h2 id="sessions">${t(lang, 'account.sessions')}</h2><table><tbody>${items}</tbody></table></section>
<script src="${LOCAL_TIME_SCRIPT}" defer></script>`;
}
