import { localTime } from '../accounts/session-list.js';
import { html, type SafeHtml } from '../pages/layout.js';
import type { SigningKeyListing } from '../tokens/key-rotation.js';
import { at, type AdminMessageKey } from './admin-messages.js';
import { labelledCell } from './admin-page.js';
import type { ConsoleCaller } from './console-access.js';

/** What the keys' page shows: the stored keys and which of them sign. */
export interface KeyState {
  keys: SigningKeyListing[];
  /** The access tokens' algorithm (`tokens.algorithm`). */
  algorithm: string;
  /** The kid that signs access tokens; null with HS512 (the configured secret signs). */
  accessSigner: string | null;
  /** The kids that sign for the OpenID provider (empty when it is off). */
  providerSigners: Set<string>;
  canRotate: boolean;
}

/** The page's body: what signs, the table, the rotate button (or why there is none), and the notice after a rotation. */
export function keyListBody(caller: ConsoleCaller, state: KeyState, rotated: boolean): SafeHtml {
  const { lang } = caller;
  const signing = state.keys.filter((key) => key.retiredAt === null).map((key) => key.kid);
  const notice = rotated ? html`<p class="ok notice" role="status">${at(lang, 'keys.rotated', { kids: signing.join(', ') })}</p>` : '';
  const intro = state.accessSigner === null ? at(lang, 'keys.hmac') : at(lang, 'keys.intro', { algorithm: state.algorithm });
  const rotate = state.canRotate
    ? html`<div class="actions"><a class="button secondary" href="/admin/keys/rotate">${at(lang, 'keys.rotate')}</a></div>`
    : html`<p>${at(lang, 'keys.cannotRotate')}</p>`;
  return html`${notice}<p>${intro}</p>${table(caller, state)}${rotate}`;
}

function table(caller: ConsoleCaller, state: KeyState): SafeHtml {
  const { lang } = caller;
  if (!state.keys.length) return html`<p>${at(lang, 'keys.none')}</p>`;
  const columns: AdminMessageKey[] = ['keys.col.kid', 'keys.col.algorithm', 'keys.col.created', 'keys.col.state'];
  const rows = state.keys.map((key) => html`<tr>
<th scope="row" data-label="${at(lang, 'keys.col.kid')}"><code>${key.kid}</code></th>
${labelledCell(at(lang, 'keys.col.algorithm'), key.algorithm)}
${labelledCell(at(lang, 'keys.col.created'), localTime(key.createdAt))}
${labelledCell(at(lang, 'keys.col.state'), stateOf(caller, state, key))}
</tr>`);
  return html`<table class="stack" id="keys"><caption>${at(lang, 'keys.caption')}</caption>
<thead><tr>${columns.map((column) => html`<th scope="col">${at(lang, column)}</th>`)}</tr></thead>
<tbody>${rows}</tbody></table>`;
}

/** A key's state: retired (still verifying), or what it signs — both, when the access tokens use a provider algorithm. */
function stateOf(caller: ConsoleCaller, state: KeyState, key: SigningKeyListing): SafeHtml | string {
  const { lang } = caller;
  if (key.retiredAt !== null) {
    // The time is a <time> element inside the sentence, wherever the language puts it.
    const [before, after] = at(lang, 'keys.state.retired', { time: '\u0000' }).split('\u0000');
    return html`${before}${localTime(key.retiredAt)}${after}`;
  }
  const roles = [
    ...(key.kid === state.accessSigner ? [at(lang, 'keys.state.signer')] : []),
    ...(state.providerSigners.has(key.kid) ? [at(lang, 'keys.state.provider')] : []),
  ];
  return html`<strong>${roles.length ? roles.join('; ') : at(lang, 'keys.state.live')}</strong>`;
}
