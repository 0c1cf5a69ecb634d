import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { localTime } from '../accounts/session-list.js';
import { AppError } from '../http/errors.js';
import { requireSessionFormToken } from '../pages/form-token.js';
import { field } from '../pages/forms.js';
import { t, type Lang, type MessageKey } from '../pages/i18n.js';
import { html, type SafeHtml } from '../pages/layout.js';
import { passkeyForm } from '../pages/passkey-form.js';
import { CredentialField, registrationFromForm } from './form-credential.js';
import type { Passkeys, PasskeyView } from './passkeys.service.js';
import type { SecondFactors } from './second-factors.js';
import { sendOutcome, sendRecoveryCodes, stepUpForm, StepUpFormFields, withStepUp } from './security-pages.js';

const Csrf = Type.String({ maxLength: 64 });
const PasskeyId = Type.String({ minLength: 1, maxLength: 64 });
/** The new passkey's name is optional: empty means "Passkey <n>". */
const AddForm = Type.Object({ csrf: Csrf, credential: CredentialField, name: Type.Optional(Type.String({ maxLength: 64 })) });
const RenameForm = Type.Object({ csrf: Csrf, id: PasskeyId, name: Type.String({ minLength: 1, maxLength: 64, pattern: '\\S' }) });
const RemoveForm = Type.Object({ ...StepUpFormFields, id: PasskeyId });

/**
 * The passkeys part of the account page's security section (CONTRACT §5 "Hosted pages"): each passkey with its name,
 * when it was added and last used, and whether it was disabled (a counter that went backwards); renaming; removing
 * (step-up, like turning the authenticator app off); "Add a passkey", which the passkey script drives.
 */
export async function passkeySection(passkeys: Passkeys, accountId: string, lang: Lang, csrf: SafeHtml): Promise<SafeHtml> {
  const list = await passkeys.list(accountId);
  // Removing one may be confirmed with any usable one (itself included): the step-up challenge allows them all.
  const confirmable = list.some((passkey) => !passkey.disabled);
  const rows = list.map((passkey) => passkeyRow(lang, passkey, csrf, confirmable));
  const table = list.length
    ? html`<table id="passkey-list"><thead><tr><th>${t(lang, 'passkey.name')}</th><th>${t(lang, 'passkey.created')}</th><th>${t(lang, 'passkey.lastUsed')}</th></tr></thead>
<tbody>${rows}</tbody></table>`
    : html`<p>${t(lang, 'passkey.none')}</p>`;
  const add = passkeyForm(lang, {
    kind: 'register', action: '/account/mfa/passkeys', hidden: csrf, submit: 'passkey.add', id: 'passkey-add',
    fields: field('name', t(lang, 'passkey.nameOptional'), { id: 'passkey-name', required: false }),
  });
  return html`<h3 id="passkeys">${t(lang, 'passkey.title')}</h3>${table}${add}`;
}

function passkeyRow(lang: Lang, passkey: PasskeyView, csrf: SafeHtml, confirmable: boolean): SafeHtml {
  const id = html`<input type="hidden" name="id" value="${passkey.id}">`;
  const disabled = passkey.disabled ? html`<br><span class="error">${t(lang, 'passkey.disabled')}</span>` : '';
  const lastUsed = passkey.lastUsedAt ? localTime(Date.parse(passkey.lastUsedAt)) : t(lang, 'passkey.never');
  return html`<tr data-passkey-id="${passkey.id}"><td><strong>${passkey.name}</strong>${disabled}
<details><summary>${t(lang, 'passkey.rename')}</summary><form method="post" action="/account/mfa/passkeys/rename">${csrf}${id}
${field('name', t(lang, 'passkey.newName'), { id: `rename-${passkey.id}`, value: passkey.name })}
<button type="submit">${t(lang, 'passkey.rename')}</button></form></details>
<details><summary>${t(lang, 'passkey.remove')}</summary>${stepUpForm(lang, '/account/mfa/passkeys/remove', html`${csrf}${id}`, 'passkey.remove', `remove-${passkey.id}`, confirmable)}</details></td>
<td>${localTime(Date.parse(passkey.createdAt))}</td><td>${lastUsed}</td></tr>`;
}

/** What the passkey forms of the account page use. */
export interface PasskeyPageDeps {
  serverKey: string;
  factors: SecondFactors;
}

/**
 * The posts of the account page's passkey forms, under `/account/mfa/passkeys`: add (the passkey script's
 * `navigator.credentials.create` answer; the account's first factor brings recovery codes, shown once), rename, and
 * remove with step-up. With `mfa.webauthn.enabled: false` they answer `404` like the API's passkey routes.
 */
export const passkeyPageRoutes: FastifyPluginAsync<PasskeyPageDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  const tags = ['pages'];
  const { passkeys } = deps.factors;
  const requireEnabled = () => {
    if (!passkeys.enabled) throw new AppError('not-found', 'passkeys are disabled on this server (mfa.webauthn.enabled)');
  };
  /** A refusal the person can act on as a page (wrong passkey, one registered already, one removed meanwhile). */
  const refused = (request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply => {
    if (!(error instanceof AppError) || error.status >= 500) throw error;
    const messages: Partial<Record<AppError['code'], MessageKey>> = { conflict: 'passkey.duplicate', 'not-found': 'passkey.notFound', 'invalid-request': 'passkey.addFailed' };
    const message = messages[error.code];
    if (!message) throw error;
    return sendOutcome(request, reply, error.status, message, true);
  };

  app.post('/account/mfa/passkeys', { schema: { tags, summary: 'Add a passkey (account page; the passkey script’s answer)', body: AddForm } }, async (request, reply) => {
    requireEnabled();
    const auth = requireSessionFormToken(request, deps.serverKey, request.body.csrf);
    try {
      const added = await passkeys.register(auth.accountId, registrationFromForm(request.body.credential), request.body.name?.trim() || undefined);
      if (added.recoveryCodes) return sendRecoveryCodes(request, reply, added.recoveryCodes, 'passkey.added');
      return sendOutcome(request, reply, 200, 'passkey.added');
    } catch (error) {
      return refused(request, reply, error);
    }
  });

  app.post('/account/mfa/passkeys/rename', { schema: { tags, summary: 'Rename a passkey (account page)', body: RenameForm } }, async (request, reply) => {
    requireEnabled();
    const auth = requireSessionFormToken(request, deps.serverKey, request.body.csrf);
    try {
      await passkeys.rename(auth.accountId, request.body.id, request.body.name.trim());
      return sendOutcome(request, reply, 200, 'passkey.renamed');
    } catch (error) {
      return refused(request, reply, error);
    }
  });

  app.post('/account/mfa/passkeys/remove', { schema: { tags, summary: 'Remove a passkey (account page; password, code or passkey)', body: RemoveForm } }, async (request, reply) => {
    requireEnabled();
    return withStepUp(deps, request, reply, request.body, async (accountId) => {
      try {
        await deps.factors.removePasskey(accountId, request.body.id);
        return sendOutcome(request, reply, 200, 'passkey.removed');
      } catch (error) {
        return refused(request, reply, error);
      }
    });
  });
};
