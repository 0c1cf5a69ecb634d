import type { AccountView } from '../accounts/account.view.js';
import { localTime } from '../accounts/session-list.js';
import { formErrors, type FieldErrors } from '../pages/forms.js';
import type { Lang } from '../pages/i18n.js';
import { html, type SafeHtml } from '../pages/layout.js';
import type { GroupView } from '../permissions/group.service.js';
import { at } from './admin-messages.js';
import { csrfField, labelledCell } from './admin-page.js';
import type { ConsoleCaller } from './console-access.js';
import type { PermissionPreview } from './permission-preview.js';

/** A list item of `GET /admin/groups`. */
export type GroupSummary = Omit<GroupView, 'accounts'>;

/** The groups page's body: the table of groups and roles, the pager, and "New group" for those who may. */
export function groupListBody(caller: ConsoleCaller, groups: GroupSummary[], next: string | null, canWrite: boolean, deleted: boolean): SafeHtml {
  const { lang } = caller;
  const notice = deleted ? html`<p class="ok notice" role="status">${at(lang, 'groups.deleted')}</p>` : '';
  const create = canWrite ? html`<div class="actions"><a class="button" href="/admin/groups/new">${at(lang, 'groups.new')}</a></div>` : '';
  if (!groups.length) return html`${notice}${create}<p>${at(lang, 'groups.none')}</p>`;
  const rows = groups.map((group) => html`<tr><th scope="row" data-label="${at(lang, 'groups.col.name')}"><a href="/admin/groups/${group.id}">${group.name}</a></th>
${labelledCell(at(lang, 'groups.col.kind'), at(lang, group.builtin ? 'groups.kind.role' : 'groups.kind.group'))}
${labelledCell(at(lang, 'groups.col.permissions'), group.permissions.length ? html`${group.permissions.map((p, i) => html`${i ? ', ' : ''}<code>${p}</code>`)}` : '—')}</tr>`);
  const pager = next ? html`<nav class="pager" aria-label="${at(lang, 'accounts.paging')}"><a href="${next}" rel="next">${at(lang, 'groups.more')}</a></nav>` : '';
  return html`${notice}${create}<table class="stack"><caption>${at(lang, 'groups.caption')}</caption>
<thead><tr><th scope="col">${at(lang, 'groups.col.name')}</th><th scope="col">${at(lang, 'groups.col.kind')}</th><th scope="col">${at(lang, 'groups.col.permissions')}</th></tr></thead>
<tbody>${rows}</tbody></table>${pager}`;
}

/** The "what it grants" table of a list of permissions: each with the checked permissions it implies and whether the caller holds it. */
export function previewTable(lang: Lang, previews: PermissionPreview[], id: string): SafeHtml {
  const rows = previews.map((preview) => {
    const grants = !preview.valid
      ? html`<span class="error">${at(lang, 'group.invalid')}</span>`
      : preview.everything ? html`<strong>${at(lang, 'group.implies.everything')}</strong>`
        : preview.grants.length ? html`${preview.grants.map((p, i) => html`${i ? ', ' : ''}<code>${p}</code>`)}` : at(lang, 'group.implies.nothingKnown');
    const held = preview.held ? at(lang, 'accounts.yes') : html`<span class="error">${at(lang, 'group.yours.no')}</span>`;
    return html`<tr><th scope="row" data-label="${at(lang, 'group.col.permission')}"><code>${preview.permission}</code></th>
${labelledCell(at(lang, 'group.col.implies'), grants)}${labelledCell(at(lang, 'group.col.yours'), held)}</tr>`;
  });
  return html`<table class="stack" id="${id}"><thead><tr><th scope="col">${at(lang, 'group.col.permission')}</th><th scope="col">${at(lang, 'group.col.implies')}</th><th scope="col">${at(lang, 'group.col.yours')}</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

/** What the group form shows: the values typed, their errors, and (after "Preview") what they would grant. */
export interface GroupFormState {
  name: string;
  permissions: string;
  errors: FieldErrors;
  preview?: PermissionPreview[];
}

/**
 * The form that creates a group or changes one: a name, the permissions one per line, "Preview" (the same form again
 * with what each line would grant; nothing is saved) and save. Works without script: both are submit buttons.
 */
export function groupForm(caller: ConsoleCaller, action: string, submit: 'group.create' | 'group.save', state: GroupFormState): SafeHtml {
  const { lang } = caller;
  const { errors } = state;
  const invalid = (name: string, describedBy: string) =>
    errors[name]?.length ? html` aria-invalid="true" aria-describedby="${describedBy} ${name}-error"` : html` aria-describedby="${describedBy}"`;
  const fieldError = (name: string) => (errors[name]?.length ? html`<span id="${name}-error" class="field-error">${errors[name]!.join(' ')}</span>` : '');
  const preview = state.preview
    ? html`<section aria-labelledby="preview-title"><h2 id="preview-title">${at(lang, 'group.previewTitle')}</h2>${state.preview.length ? previewTable(lang, state.preview, 'preview') : html`<p>${at(lang, 'group.noPermissions')}</p>`}</section>`
    : '';
  return html`${formErrors(errors)}${preview}<form method="post" action="${action}">${csrfField(caller)}
<div><label for="name">${at(lang, 'group.name')}</label><input id="name" name="name" type="text" value="${state.name}" maxlength="64" autocomplete="off" required${invalid('name', 'name-hint')}>
<div id="name-hint" class="hint">${at(lang, 'group.nameHint')}</div>${fieldError('name')}</div>
<div><label for="permissions">${at(lang, 'group.permissions')}</label><textarea id="permissions" name="permissions" rows="5"${invalid('permissions', 'permissions-hint')}>${state.permissions}</textarea>
<div id="permissions-hint" class="hint">${at(lang, 'group.permissionsHint')}</div>${fieldError('permissions')}</div>
<div class="actions"><button type="submit" name="intent" value="preview" class="secondary">${at(lang, 'group.preview')}</button><button type="submit" name="intent" value="save">${at(lang, submit)}</button></div>
</form>`;
}

/** Everything one group's page shows, and what the caller may do there. */
export interface GroupPage {
  group: GroupView;
  previews: PermissionPreview[];
  /** Members as accounts (with `accounts:read`), oldest first, up to a page; else null and the ids are listed. */
  members: AccountView[] | null;
  moreMembers: boolean;
  can: { edit: boolean; changeMembers: boolean; delete: boolean };
  /** The edit form's state after a failed save or a preview; else the group's own values. */
  form?: GroupFormState;
  /** An error of the "add an account" form. */
  addError?: string;
  done?: 'created' | 'saved' | 'member-added' | 'member-removed';
}

const DONE_MESSAGES = { created: 'group.created', saved: 'group.saved', 'member-added': 'group.memberAdded', 'member-removed': 'group.memberRemoved' } as const;

/** One group's page body: about, what it grants, members (with add and remove), change, delete. */
export function groupPageBody(caller: ConsoleCaller, page: GroupPage): SafeHtml {
  const { lang } = caller;
  const { group } = page;
  const notice = page.done ? html`<p class="ok notice" role="status">${at(lang, DONE_MESSAGES[page.done])}</p>` : '';
  const about = html`<section aria-labelledby="about"><h2 id="about">${at(lang, 'group.about')}</h2><dl class="facts">
<dt>${at(lang, 'group.kind')}</dt><dd>${at(lang, group.builtin ? 'groups.kind.role' : 'groups.kind.group')}</dd>
<dt>${at(lang, 'group.created.at')}</dt><dd>${localTime(Date.parse(group.createdAt))}</dd></dl>
${group.builtin ? html`<p class="notice" role="note">${at(lang, 'group.builtinNote')}</p>` : ''}</section>`;
  const grants = html`<section aria-labelledby="grants"><h2 id="grants">${at(lang, 'group.grants')}</h2>${page.previews.length ? previewTable(lang, page.previews, 'grants-table') : html`<p>${at(lang, 'group.noPermissions')}</p>`}</section>`;
  const edit = page.can.edit
    ? html`<section aria-labelledby="edit"><h2 id="edit">${at(lang, 'group.edit')}</h2>${groupForm(caller, `/admin/groups/${group.id}`, 'group.save', page.form ?? { name: group.name, permissions: group.permissions.join('\n'), errors: {} })}</section>`
    : '';
  const remove = page.can.delete ? html`<div class="actions"><a class="button secondary" href="/admin/groups/${group.id}/delete">${at(lang, 'group.delete')}</a></div>` : '';
  return html`${notice}${about}${grants}${members(caller, page)}${edit}${remove}`;
}

function members(caller: ConsoleCaller, page: GroupPage): SafeHtml {
  const { lang } = caller;
  const { group } = page;
  const removeButton = (accountId: string, name: string) => page.can.changeMembers
    ? html`<td><form method="post" action="/admin/groups/${group.id}/members/remove">${csrfField(caller)}<input type="hidden" name="account" value="${accountId}"><button type="submit" class="secondary" aria-label="${at(lang, 'group.removeLabel', { name })}">${at(lang, 'group.remove')}</button></form></td>`
    : '';
  let list: SafeHtml;
  if (!group.accounts.length) list = html`<p>${at(lang, 'group.membersNone')}</p>`;
  else if (page.members) {
    const rows = page.members.map((account) => html`<tr><th scope="row"><a href="/admin/accounts/${account.id}">${account.email ?? account.username}</a></th>${removeButton(account.id, account.email ?? account.username)}</tr>`);
    const more = page.moreMembers ? html`<p>${at(lang, 'group.membersShown', { count: page.members.length })} <a href="/admin/accounts?group=${encodeURIComponent(group.name)}">${at(lang, 'group.allMembers')}</a></p>` : '';
    list = html`<table><tbody>${rows}</tbody></table>${more}`;
  } else {
    list = html`<p>${at(lang, 'group.memberIds')}</p><ul class="plain">${group.accounts.slice(0, 100).map((id) => html`<li><code>${id}</code></li>`)}</ul>`;
  }
  const add = page.can.changeMembers
    ? html`<form method="post" action="/admin/groups/${group.id}/members" class="inline-add">${csrfField(caller)}
<div><label for="member">${at(lang, 'group.addMemberField')}</label><input id="member" name="account" type="text" maxlength="254" autocomplete="off" required${page.addError ? html` aria-invalid="true" aria-describedby="member-error" autofocus` : ''}>${page.addError ? html`<span id="member-error" class="field-error">${page.addError}</span>` : ''}</div>
<div class="actions"><button type="submit">${at(lang, 'group.add')}</button></div></form>`
    : '';
  return html`<section aria-labelledby="members"><h2 id="members">${at(lang, 'group.members')}</h2>${list}${add ? html`<h3>${at(lang, 'group.addMember')}</h3>${add}` : ''}</section>`;
}
