import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../http/errors.js';
import { requireSessionFormToken } from '../pages/form-token.js';
import { field } from '../pages/forms.js';
import { pickLanguage, t, type Lang, type MessageKey } from '../pages/i18n.js';
import { html, page, pageHeaders, SafeHtml } from '../pages/layout.js';
import type { RecoveryCodes } from './recovery-codes.service.js';
import type { SecondFactors } from './second-factors.js';
import type { TotpService, TotpSetup } from './totp.service.js';

const CsrfForm = Type.Object({ csrf: Type.String({ maxLength: 64 }) });
const ConfirmForm = Type.Object({ csrf: Type.String({ maxLength: 64 }), code: Type.String({ maxLength: 16 }) });
const StepUpForm = Type.Object({ csrf: Type.String({ maxLength: 64 }), password: Type.Optional(Type.String({ maxLength: 1024 })), code: Type.Optional(Type.String({ maxLength: 64 })) });

/** What the account page's security section uses. */
export interface MfaPageDeps {
  serverKey: string;
  factors: SecondFactors;
  totp: TotpService;
  recoveryCodes: RecoveryCodes;
  usernameOf: (accountId: string) => Promise<string | null>;
}

/**
 * The account page's security section (CONTRACT §5 "Hosted pages"): whether an authenticator app is set up, setting
 * one up with its QR code, the recovery codes (shown once), turning it off and new codes with step-up. Every form
 * carries the session's form token (pages/form-token.ts) like the rest of the account page.
 */
export function securitySection(deps: MfaPageDeps) {
  return async (auth: { accountId: string }, lang: Lang, formToken: string): Promise<SafeHtml> => {
    const summary = await deps.factors.summary(auth.accountId);
    const csrf = html`<input type="hidden" name="csrf" value="${formToken}">`;
    const state = summary.totp
      ? html`<p>${t(lang, 'security.totpOn')}</p><p>${t(lang, 'security.recoveryLeft', { count: summary.recoveryCodesLeft })}</p>
${stepUpForm(lang, '/account/mfa/recovery-codes', csrf, 'security.newCodes', 'new-codes')}
${stepUpForm(lang, '/account/mfa/totp/remove', csrf, 'security.turnOff', 'turn-off')}`
      : html`<p>${t(lang, 'security.totpOff')}</p><form method="post" action="/account/mfa/totp">${csrf}<button type="submit">${t(lang, 'security.setUp')}</button></form>`;
    return html`<section aria-labelledby="security"><h2 id="security">${t(lang, 'security.title')}</h2>${state}</section>`;
  };
}

function stepUpForm(lang: Lang, action: string, csrf: SafeHtml, submit: MessageKey, id: string): SafeHtml {
  return html`<form method="post" action="${action}">${csrf}<p>${t(lang, 'security.proofIntro')}</p>
${field('password', t(lang, 'security.password'), { id: `${id}-password`, type: 'password', autocomplete: 'current-password', required: false })}
${field('code', t(lang, 'security.orCode'), { id: `${id}-code`, autocomplete: 'one-time-code', required: false })}
<button type="submit">${t(lang, submit)}</button></form>`;
}

/** The security section's form posts under `/account/mfa/*`. */
export const mfaPageRoutes: FastifyPluginAsync<MfaPageDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  const tags = ['pages'];
  const send = (request: FastifyRequest, reply: FastifyReply, status: number, title: MessageKey, body: (lang: Lang) => SafeHtml) => {
    const lang = pickLanguage(request.headers['accept-language']);
    return reply.code(status).headers(pageHeaders).send(page(t(lang, title), html`${body(lang)}<p><a href="/account">${t(lang, 'security.back')}</a></p>`, lang));
  };
  const setupPage = (request: FastifyRequest, reply: FastifyReply, status: number, setup: TotpSetup, csrf: string, wrong: boolean) =>
    send(request, reply, status, 'security.setUp', (lang) => html`<p>${t(lang, 'security.scan')}</p>
<figure class="qr">${new SafeHtml(setup.qrSvg)}</figure>
<p>${t(lang, 'security.key')}: <code id="totp-secret">${setup.secret}</code></p>
<form method="post" action="/account/mfa/totp/confirm"><input type="hidden" name="csrf" value="${csrf}">
${field('code', t(lang, 'mfa.code'), { id: 'setup-code', autocomplete: 'one-time-code', errors: wrong ? [t(lang, 'mfa.wrong')] : [] })}
<button type="submit">${t(lang, 'security.confirm')}</button></form>`);
  const codesPage = (request: FastifyRequest, reply: FastifyReply, codes: string[]) =>
    send(request, reply, 200, 'security.codesTitle', (lang) => html`<p>${t(lang, 'security.codesIntro')}</p>
<ul id="recovery-codes">${codes.map((code) => html`<li><code>${code}</code></li>`)}</ul>`);
  const account = async (accountId: string) => ({ id: accountId, username: (await deps.usernameOf(accountId)) ?? accountId });

  app.post('/account/mfa/totp', { schema: { tags, summary: 'Start setting up an authenticator app (account page)', body: CsrfForm } }, async (request, reply) => {
    const auth = requireSessionFormToken(request, deps.serverKey, request.body.csrf);
    return setupPage(request, reply, 200, await deps.totp.begin(await account(auth.accountId)), request.body.csrf, false);
  });

  app.post('/account/mfa/totp/confirm', { schema: { tags, summary: 'Turn the authenticator app on with its first code (account page)', body: ConfirmForm } }, async (request, reply) => {
    const auth = requireSessionFormToken(request, deps.serverKey, request.body.csrf);
    try {
      return codesPage(request, reply, await deps.totp.confirm(auth.accountId, request.body.code.trim()));
    } catch (error) {
      const pending = error instanceof AppError && error.code === 'invalid-mfa-code' ? await deps.totp.pendingSetup(await account(auth.accountId)) : undefined;
      if (!pending) throw error;
      return setupPage(request, reply, 401, pending, request.body.csrf, true);
    }
  });

  const withStepUp = async (request: FastifyRequest, reply: FastifyReply, body: { csrf: string; password?: string | undefined; code?: string | undefined }, act: (accountId: string) => Promise<FastifyReply>) => {
    const auth = requireSessionFormToken(request, deps.serverKey, body.csrf);
    const proof = { password: body.password || undefined, code: body.code?.trim() || undefined };
    try {
      await deps.factors.assertStepUp(auth.accountId, proof);
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      return send(request, reply, error.status, 'security.title', (lang) => html`<p class="error" role="alert">${t(lang, 'security.proofWrong')}</p>`);
    }
    return act(auth.accountId);
  };

  app.post('/account/mfa/totp/remove', { schema: { tags, summary: 'Turn the authenticator app off (account page; password or code)', body: StepUpForm } }, async (request, reply) =>
    withStepUp(request, reply, request.body, async (accountId) => {
      await deps.factors.removeTotp(accountId);
      return send(request, reply, 200, 'security.title', (lang) => html`<p class="ok" role="status">${t(lang, 'security.turnedOff')}</p>`);
    }));

  app.post('/account/mfa/recovery-codes', { schema: { tags, summary: 'New recovery codes (account page; password or code)', body: StepUpForm } }, async (request, reply) =>
    withStepUp(request, reply, request.body, async (accountId) => codesPage(request, reply, await deps.recoveryCodes.regenerate(accountId))));
};
