import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { AppError } from '../http/errors.js';
import { requireSessionFormToken } from '../pages/form-token.js';
import { t, type Lang } from '../pages/i18n.js';
import { html, type SafeHtml } from '../pages/layout.js';
import { passkeySection } from './passkey-page.routes.js';
import type { RecoveryCodes } from './recovery-codes.service.js';
import type { SecondFactors } from './second-factors.js';
import { sendOutcome, sendRecoveryCodes, sendSecurityPage, StepUpFormFields, totpSetupForm, stepUpForm, withStepUp } from './security-pages.js';
import type { TotpService, TotpSetup } from './totp.service.js';

const CsrfForm = Type.Object({ csrf: Type.String({ maxLength: 64 }) });
const ConfirmForm = Type.Object({ csrf: Type.String({ maxLength: 64 }), code: Type.String({ maxLength: 16 }) });
const StepUpForm = Type.Object(StepUpFormFields);

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
 * one up with its QR code, the recovery codes (shown once), turning it off and new codes with step-up, and the
 * passkeys (passkey-page.routes.ts). Every form carries the session's form token (pages/form-token.ts) like the rest
 * of the account page.
 */
export function securitySection(deps: MfaPageDeps) {
  return async (auth: { accountId: string }, lang: Lang, formToken: string): Promise<SafeHtml> => {
    const summary = await deps.factors.summary(auth.accountId);
    const csrf = html`<input type="hidden" name="csrf" value="${formToken}">`;
    // A passkey confirms a step-up only where one can be used: passkeys on, and one of the account's not disabled.
    const passkey = deps.factors.passkeys.enabled && summary.passkeys > 0;
    const codes = html`<p>${t(lang, 'security.recoveryLeft', { count: summary.recoveryCodesLeft })}</p>
${stepUpForm(lang, '/account/mfa/recovery-codes', csrf, 'security.newCodes', 'new-codes', passkey)}`;
    const state = summary.totp
      ? html`<p>${t(lang, 'security.totpOn')}</p>${codes}
${stepUpForm(lang, '/account/mfa/totp/remove', csrf, 'security.turnOff', 'turn-off', passkey)}`
      : html`<p>${t(lang, summary.passkeys > 0 ? 'security.totpNone' : 'security.totpOff')}</p><form method="post" action="/account/mfa/totp">${csrf}<button type="submit">${t(lang, 'security.setUp')}</button></form>
${summary.passkeys > 0 ? codes : ''}`;
    const passkeys = deps.factors.passkeys.enabled ? await passkeySection(deps.factors.passkeys, auth.accountId, lang, csrf) : '';
    return html`<section aria-labelledby="security"><h2 id="security">${t(lang, 'security.title')}</h2>${state}${passkeys}</section>`;
  };
}

/** The security section's form posts under `/account/mfa/*`. */
export const mfaPageRoutes: FastifyPluginAsync<MfaPageDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  const tags = ['pages'];
  const setupPage = (request: FastifyRequest, reply: FastifyReply, status: number, setup: TotpSetup, csrf: string, wrong: boolean) =>
    sendSecurityPage(request, reply, status, 'security.setUp', (lang) =>
      totpSetupForm(lang, setup, '/account/mfa/totp/confirm', html`<input type="hidden" name="csrf" value="${csrf}">`, wrong));
  const account = async (accountId: string) => ({ id: accountId, username: (await deps.usernameOf(accountId)) ?? accountId });

  app.post('/account/mfa/totp', { schema: { tags, summary: 'Start setting up an authenticator app (account page)', body: CsrfForm } }, async (request, reply) => {
    const auth = requireSessionFormToken(request, deps.serverKey, request.body.csrf);
    return setupPage(request, reply, 200, await deps.totp.begin(await account(auth.accountId)), request.body.csrf, false);
  });

  app.post('/account/mfa/totp/confirm', { schema: { tags, summary: 'Turn the authenticator app on with its first code (account page)', body: ConfirmForm } }, async (request, reply) => {
    const auth = requireSessionFormToken(request, deps.serverKey, request.body.csrf);
    try {
      return sendRecoveryCodes(request, reply, await deps.totp.confirm(auth.accountId, request.body.code.trim()));
    } catch (error) {
      const pending = error instanceof AppError && error.code === 'invalid-mfa-code' ? await deps.totp.pendingSetup(await account(auth.accountId)) : undefined;
      if (!pending) throw error;
      return setupPage(request, reply, 401, pending, request.body.csrf, true);
    }
  });

  const stepUp = (request: FastifyRequest, reply: FastifyReply, body: Static<typeof StepUpForm>, act: (accountId: string) => Promise<FastifyReply>) =>
    withStepUp(deps, request, reply, body, act);

  app.post('/account/mfa/totp/remove', { schema: { tags, summary: 'Turn the authenticator app off (account page; password, code or passkey)', body: StepUpForm } }, async (request, reply) =>
    stepUp(request, reply, request.body, async (accountId) => {
      await deps.factors.removeTotp(accountId);
      return sendOutcome(request, reply, 200, 'security.turnedOff');
    }));

  app.post('/account/mfa/recovery-codes', { schema: { tags, summary: 'New recovery codes (account page; password, code or passkey)', body: StepUpForm } }, async (request, reply) =>
    stepUp(request, reply, request.body, async (accountId) => sendRecoveryCodes(request, reply, await deps.recoveryCodes.regenerate(accountId))));
};
