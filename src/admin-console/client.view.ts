import type { Client } from '../clients/client.repository.js';
import { TOKEN_METHODS } from '../clients/client.schemas.js';
import { OIDC_AUTH_METHODS, OIDC_GRANT_TYPES } from '../config/oidc-client-fields.js';
import { formErrors, type FieldErrors } from '../pages/forms.js';
import type { Lang } from '../pages/i18n.js';
import { html, type SafeHtml } from '../pages/layout.js';
import { at, type AdminMessageKey } from './admin-messages.js';
import { csrfField, labelledCell } from './admin-page.js';
import type { ClientFormState } from './client-form.js';
import type { ConsoleCaller } from './console-access.js';
import { copyField, copyScript, copyWords } from './copy-script.js';

export const CLIENTS_PATH = '/admin/clients';
/**
 * Where the form of a new client lives. Why not `/admin/clients/new`: a clientID may be any word (`new` included, and a
 * configured client any string), and a fixed path beside `/admin/clients/{clientID}` would hide that client's page.
 */
export const NEW_CLIENT_PATH = '/admin/new-client';

/** A client's page: its id percent-encoded, as a path segment. */
export function clientPath(clientId: string): string {
  return `${CLIENTS_PATH}/${encodeURIComponent(clientId)}`;
}

/** "all", or "all but password, google": the login methods a client offers, read from `disableStrategies`. */
function loginMethods(lang: Lang, client: Client): string {
  const off = client.config.disableStrategies;
  return off.length ? at(lang, 'clients.logins.allBut', { methods: off.join(', ') }) : at(lang, 'clients.logins.all');
}

const yesNo = (lang: Lang, value: boolean) => at(lang, value ? 'client.yes' : 'client.no');

/** The clients page's body: the table, the pager, and "New client" for those who may. */
export function clientListBody(caller: ConsoleCaller, clients: Client[], next: string | null, canWrite: boolean, deleted: boolean): SafeHtml {
  const { lang } = caller;
  const notice = deleted ? html`<p class="ok notice" role="status">${at(lang, 'clients.deleted')}</p>` : '';
  const create = canWrite ? html`<div class="actions"><a class="button" href="${NEW_CLIENT_PATH}">${at(lang, 'clients.new')}</a></div>` : '';
  if (!clients.length) return html`${notice}${create}<p>${at(lang, 'clients.none')}</p>`;
  const columns: AdminMessageKey[] = ['clients.col.id', 'clients.col.name', 'clients.col.callback', 'clients.col.logins', 'clients.col.oidc', 'clients.col.firstParty'];
  const rows = clients.map((client) => html`<tr><th scope="row" data-label="${at(lang, 'clients.col.id')}"><a href="${clientPath(client.clientID)}">${client.clientID}</a></th>
${labelledCell(at(lang, 'clients.col.name'), client.name ?? '—')}
${labelledCell(at(lang, 'clients.col.callback'), html`<code>${client.callbackURL}</code>`)}
${labelledCell(at(lang, 'clients.col.logins'), loginMethods(lang, client))}
${labelledCell(at(lang, 'clients.col.oidc'), client.oidc ? html`${at(lang, 'client.yes')} (<code>${client.oidc.tokenEndpointAuthMethod}</code>)` : at(lang, 'client.no'))}
${labelledCell(at(lang, 'clients.col.firstParty'), client.oidc ? yesNo(lang, client.oidc.firstParty) : '—')}</tr>`);
  const pager = next ? html`<nav class="pager" aria-label="${at(lang, 'accounts.paging')}"><a href="${next}" rel="next">${at(lang, 'clients.more')}</a></nav>` : '';
  return html`${notice}${create}<table class="stack" id="clients"><caption>${at(lang, 'clients.caption')}</caption>
<thead><tr>${columns.map((column) => html`<th scope="col">${at(lang, column)}</th>`)}</tr></thead>
<tbody>${rows}</tbody></table>${pager}`;
}

/** What one client's page shows besides the client, and what the caller may do there. */
export interface ClientPage {
  client: Client;
  /** Declared in the configuration file: the next start writes the file's version back. */
  configured: boolean;
  /** Permission scopes the caller does not hold: ClientService refuses to change or re-key the client then. */
  above: string[];
  can: { edit: boolean; rotate: boolean; delete: boolean };
  done?: 'created' | 'saved';
}

const list = (lang: Lang, items: readonly string[]) =>
  items.length ? html`<ul class="plain">${items.map((item) => html`<li><code>${item}</code></li>`)}</ul>` : at(lang, 'client.none');
const codeOrNone = (lang: Lang, value: string | null) => (value === null ? at(lang, 'client.none') : html`<code>${value}</code>`);

/** One client's page body: seed 000's fields, the OpenID fields, and the buttons the caller may use. */
export function clientPageBody(caller: ConsoleCaller, page: ClientPage): SafeHtml {
  const { lang } = caller;
  const { client } = page;
  const notice = page.done ? html`<p class="ok notice" role="status">${at(lang, page.done === 'created' ? 'client.done.created' : 'client.done.saved')}</p>` : '';
  const notes = html`${page.configured ? html`<p class="notice" role="note">${at(lang, 'client.configured')}</p>` : ''}${
    page.above.length ? html`<p class="notice" role="note">${at(lang, 'client.rankNote', { scopes: page.above.join(', ') })}</p>` : ''}`;
  const about = html`<section aria-labelledby="about"><h2 id="about">${at(lang, 'client.about')}</h2><dl class="facts" id="seed-fields">
<dt>${at(lang, 'clients.col.id')}</dt><dd><code>${client.clientID}</code></dd>
<dt>${at(lang, 'clients.col.name')}</dt><dd>${client.name ?? at(lang, 'client.none')}</dd>
<dt>${at(lang, 'field.callbackURL')}</dt><dd><code>${client.callbackURL}</code></dd>
<dt>${at(lang, 'field.tokenMethod')}</dt><dd>${client.config.tokenMethod.join(', ')}</dd>
<dt>${at(lang, 'clients.col.logins')}</dt><dd>${loginMethods(lang, client)}</dd></dl></section>`;
  const actions = html`<div class="actions">${page.can.edit ? html`<a class="button" href="${clientPath(client.clientID)}/edit">${at(lang, 'client.edit')}</a>` : ''}${
    page.can.rotate ? html`<a class="button secondary" href="${clientPath(client.clientID)}/secret">${at(lang, 'client.rotate')}</a>` : ''}${
    page.can.delete ? html`<a class="button secondary" href="${clientPath(client.clientID)}/delete">${at(lang, 'client.delete')}</a>` : ''}</div>`;
  return html`${notice}${notes}${about}${oidcSection(lang, client)}${actions}`;
}

function oidcSection(lang: Lang, client: Client): SafeHtml {
  const { oidc } = client;
  const title = html`<h2 id="oidc">${at(lang, 'client.oidcSection')}</h2>`;
  if (!oidc) return html`<section aria-labelledby="oidc">${title}<p>${at(lang, 'client.notOidc')}</p></section>`;
  const usesSecret = oidc.tokenEndpointAuthMethod === 'client_secret_basic' || oidc.tokenEndpointAuthMethod === 'client_secret_post';
  return html`<section aria-labelledby="oidc">${title}<dl class="facts" id="oidc-fields">
<dt>${at(lang, 'field.redirectUris')}</dt><dd>${list(lang, oidc.redirectUris)}</dd>
<dt>${at(lang, 'field.postLogoutRedirectUris')}</dt><dd>${list(lang, oidc.postLogoutRedirectUris)}</dd>
<dt>${at(lang, 'field.grantTypes')}</dt><dd>${oidc.grantTypes.join(', ')}</dd>
<dt>${at(lang, 'field.tokenEndpointAuthMethod')}</dt><dd><code>${oidc.tokenEndpointAuthMethod}</code></dd>
<dt>${at(lang, 'field.scopes')}</dt><dd>${list(lang, oidc.scopes)}</dd>
<dt>${at(lang, 'clients.col.firstParty')}</dt><dd>${yesNo(lang, oidc.firstParty)}</dd>
<dt>${at(lang, 'fact.backchannelLogoutUri')}</dt><dd>${codeOrNone(lang, oidc.backchannelLogoutUri)}</dd>
<dt>${at(lang, 'fact.jwksUri')}</dt><dd>${codeOrNone(lang, oidc.jwksUri)}</dd>
<dt>${at(lang, 'fact.jwks')}</dt><dd>${oidc.jwks ? at(lang, 'client.keys', { count: oidc.jwks.keys.length }) : at(lang, 'client.none')}</dd></dl>
${usesSecret ? html`<p>${at(lang, 'client.secretNote')}</p>` : ''}</section>`;
}

/**
 * The form that registers a client or changes one (`clientID` only when registering: a client cannot be renamed).
 * Lists are one per line; token delivery and grant types are check boxes. Works without script.
 */
export function clientForm(caller: ConsoleCaller, action: string, submit: 'client.create' | 'client.save', state: ClientFormState): SafeHtml {
  const { lang } = caller;
  const { values, errors } = state;
  const creating = submit === 'client.create';
  const id = html`${creating ? text(lang, errors, 'clientID', values.clientID, { required: true, hint: true }) : ''}`;
  return html`${formErrors(errors)}<form method="post" action="${action}" class="client-form">${csrfField(caller)}
<fieldset><legend>${at(lang, 'client.basics')}</legend>${id}
${text(lang, errors, 'name', values.name, { hint: true })}
${text(lang, errors, 'callbackURL', values.callbackURL, { required: true, hint: true, type: 'url' })}
${ticks(lang, errors, 'tokenMethod', TOKEN_METHODS, values.tokenMethod)}
${lines(lang, errors, 'disableStrategies', values.disableStrategies, 3)}</fieldset>
<fieldset><legend>${at(lang, 'client.oidcLegend')}</legend>
<div><label class="tick"><input type="checkbox" name="oidc" value="on"${values.oidc ? html` checked` : ''}> ${at(lang, 'field.oidc')}</label></div>
${lines(lang, errors, 'redirectUris', values.redirectUris, 3)}
${lines(lang, errors, 'postLogoutRedirectUris', values.postLogoutRedirectUris, 2)}
${ticks(lang, errors, 'grantTypes', OIDC_GRANT_TYPES, values.grantTypes)}
${select(lang, errors, 'tokenEndpointAuthMethod', OIDC_AUTH_METHODS, values.tokenEndpointAuthMethod)}
${lines(lang, errors, 'scopes', values.scopes, 5)}
<div><label class="tick"><input type="checkbox" name="firstParty" value="on"${values.firstParty ? html` checked` : ''}> ${at(lang, 'field.firstParty')}</label></div>
${text(lang, errors, 'backchannelLogoutUri', values.backchannelLogoutUri, { type: 'url' })}
${text(lang, errors, 'jwksUri', values.jwksUri, { type: 'url' })}
${lines(lang, errors, 'jwks', values.jwks, 3)}</fieldset>
<div class="actions"><button type="submit">${at(lang, submit)}</button></div></form>`;
}

type FieldName = 'clientID' | 'name' | 'callbackURL' | 'tokenMethod' | 'disableStrategies' | 'redirectUris' | 'postLogoutRedirectUris' | 'grantTypes'
  | 'tokenEndpointAuthMethod' | 'scopes' | 'backchannelLogoutUri' | 'jwksUri' | 'jwks';
const HINTS = new Set<FieldName>(['clientID', 'name', 'callbackURL', 'disableStrategies', 'redirectUris', 'postLogoutRedirectUris', 'tokenEndpointAuthMethod', 'scopes', 'jwks']);

/** The `aria-*` of a field and its hint and error, so a screen reader reads them with it; the first invalid field takes the focus. */
function described(lang: Lang, errors: FieldErrors, name: FieldName, group = false): { attributes: SafeHtml; after: SafeHtml } {
  const hint = HINTS.has(name) ? `${name}-hint` : '';
  const error = errors[name]?.length ? `${name}-error` : '';
  const describedBy = [hint, error].filter(Boolean).join(' ');
  const first = Object.keys(errors).find((key) => key !== 'form') === name;
  return {
    // A group of check boxes is described, not marked invalid: aria-invalid belongs on form controls, not on a fieldset.
    attributes: html`${error && !group ? html` aria-invalid="true"${first ? html` autofocus` : ''}` : ''}${describedBy ? html` aria-describedby="${describedBy}"` : ''}`,
    after: html`${hint ? html`<div id="${hint}" class="hint">${at(lang, `field.${name}.hint` as AdminMessageKey)}</div>` : ''}${
      error ? html`<span id="${error}" class="field-error">${errors[name]!.join(' ')}</span>` : ''}`,
  };
}

function text(lang: Lang, errors: FieldErrors, name: FieldName, value: string, options: { required?: boolean; hint?: boolean; type?: string } = {}): SafeHtml {
  const { attributes, after } = described(lang, errors, name);
  return html`<div><label for="${name}">${at(lang, `field.${name}` as AdminMessageKey)}</label><input id="${name}" name="${name}" type="${options.type ?? 'text'}" value="${value}" autocomplete="off"${
    options.required ? html` required` : ''}${attributes}>${after}</div>`;
}

function lines(lang: Lang, errors: FieldErrors, name: FieldName, value: string, rows: number): SafeHtml {
  const { attributes, after } = described(lang, errors, name);
  return html`<div><label for="${name}">${at(lang, `field.${name}` as AdminMessageKey)}</label><textarea id="${name}" name="${name}" rows="${rows}" spellcheck="false"${attributes}>${value}</textarea>${after}</div>`;
}

function select(lang: Lang, errors: FieldErrors, name: FieldName, options: readonly string[], value: string): SafeHtml {
  const { attributes, after } = described(lang, errors, name);
  return html`<div><label for="${name}">${at(lang, `field.${name}` as AdminMessageKey)}</label><select id="${name}" name="${name}"${attributes}>${
    options.map((option) => html`<option value="${option}"${option === value ? html` selected` : ''}>${option}</option>`)}</select>${after}</div>`;
}

/** Check boxes of a list field: a fieldset named by its legend, its error tied to the group. */
function ticks(lang: Lang, errors: FieldErrors, name: FieldName, options: readonly string[], checked: readonly string[]): SafeHtml {
  const { attributes, after } = described(lang, errors, name, true);
  return html`<fieldset class="ticks" id="${name}"${attributes}><legend>${at(lang, `field.${name}` as AdminMessageKey)}</legend>${
    options.map((option) => html`<label class="tick"><input type="checkbox" name="${name}" value="${option}"${checked.includes(option) ? html` checked` : ''}> <code>${option}</code></label>`)}${after}</fieldset>`;
}

/**
 * The page that shows a client secret, the one time it exists in clear: a read-only field to select, with Copy
 * (copy-script.ts; the page works without script), and the way on to the client's page. Sent with `no-store`, as every console page.
 */
export function secretBody(caller: ConsoleCaller, clientId: string, secret: string, rotated: boolean): SafeHtml {
  const { lang } = caller;
  return html`<p class="ok notice" role="status">${at(lang, 'secret.text')}${rotated ? html` ${at(lang, 'secret.oldStopped')}` : ''}</p>
${copyField('client-secret', secret, copyWords(lang, at(lang, 'secret.label')))}
<p><a href="${clientPath(clientId)}">${at(lang, 'secret.back')}</a></p>${copyScript()}`;
}

/** A confirmation page's body: the text, the danger button posting to `action`, and "Cancel" back to the client. */
export function confirmBody(caller: ConsoleCaller, clientId: string, action: string, text: AdminMessageKey, submit: AdminMessageKey): SafeHtml {
  const { lang } = caller;
  return html`<p>${at(lang, text)}</p>
<form method="post" action="${action}">${csrfField(caller)}<div class="actions"><button type="submit" class="danger">${at(lang, submit)}</button><a href="${clientPath(clientId)}">${at(lang, 'confirm.cancel')}</a></div></form>`;
}
