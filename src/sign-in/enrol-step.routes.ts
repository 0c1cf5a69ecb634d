import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import type { DB } from '../db/types.js';
import { AppError } from '../http/errors.js';
import type { PendingSignIn, PendingSignIns } from '../mfa/pending-sign-ins.js';
import { recoveryCodeList, totpSetupForm } from '../mfa/security-pages.js';
import type { TotpService } from '../mfa/totp.service.js';
import { CredentialField, registrationFromForm } from '../mfa/form-credential.js';
import type { Passkeys } from '../mfa/passkeys.service.js';
import { hostedPageErrors } from '../pages/error-page.js';
import { formTokenField, issueFormToken, requireLoginCsrf, type LoginCsrfDeps } from '../pages/form-token.js';
import { pickLanguage, t, type Lang, type MessageKey } from '../pages/i18n.js';
import { html, sendHtmlPage, type PageAllowances, type SafeHtml } from '../pages/layout.js';
import { enrolChoice, ENROL_PASSKEY_PATH, ENROL_START_PATH } from '../pages/second-step-form.js';
import { resumePlan } from './continuation.js';
import { clientFormOrigins } from './hosted-client.js';
import { enrolOptionsOf, SECOND_STEP_PATH } from './second-step-page.js';

const ENROL_PATH = '/auth/mfa/enrol';
const MfaTokenField = Type.String({ minLength: 1, maxLength: 128 });
const StartForm = Type.Object({ mfaToken: MfaTokenField });
const ConfirmForm = Type.Object({ mfaToken: MfaTokenField, code: Type.String({ minLength: 1, maxLength: 16 }) });
const PasskeyForm = Type.Object({ mfaToken: MfaTokenField, credential: CredentialField });

/** What setting up a factor within a sign-in uses. */
export interface EnrolStepDeps {
  db: Kysely<DB>;
  loginCsrf: LoginCsrfDeps;
  pending: Pick<PendingSignIns, 'find' | 'markEnrolled'>;
  totp: Pick<TotpService, 'begin' | 'pendingSetup' | 'confirm'>;
  passkeys: Pick<Passkeys, 'enabled' | 'register'>;
  usernameOf: (accountId: string) => Promise<string | null>;
}

/** Where the sign-in continues once the factor is set up: the page of the way it began, and what that page may post to. */
interface Continuation {
  action: string;
  allow: PageAllowances;
}

/**
 * `mfa.requiredFor` on the hosted pages (CONTRACT §5): an account that must use a second factor and has none sets one
 * up right inside its sign-in — an authenticator app (the QR code, then its first code) or a passkey (the passkey
 * script's registration) — sees its recovery codes once, and continues to its client (or, without one, to its
 * account). Confirming the new secret with a code, or registering the passkey with user verification, is the second
 * factor's proof, so "continue" needs no further one (PendingSignIns.markEnrolled). The `mfaToken` is the only key:
 * no session exists yet. Each post obeys the login-CSRF rule, like the sign-in forms.
 */
export const enrolStepRoutes: FastifyPluginAsync<EnrolStepDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  await app.register(formbody, { bodyLimit: 16 * 1024 });

  const send = (request: FastifyRequest, reply: FastifyReply, status: number, title: MessageKey, body: (lang: Lang, formToken: string) => SafeHtml, allow: PageAllowances = {}) => {
    const lang = pickLanguage(request.headers['accept-language']);
    return sendHtmlPage(reply, status, t(lang, title), body(lang, issueFormToken(request, reply, deps.loginCsrf)), lang, allow);
  };
  const expired = (request: FastifyRequest, reply: FastifyReply, status = 401) =>
    send(request, reply, status, 'mfa.title', (lang) => html`<p class="error" role="alert">${t(lang, 'mfa.expired')}</p>`);
  const hidden = (formToken: string, mfaToken: string) => html`${formTokenField(formToken)}<input type="hidden" name="mfaToken" value="${mfaToken}">`;
  const setupPage = async (request: FastifyRequest, reply: FastifyReply, status: number, pending: PendingSignIn, mfaToken: string, wrong: boolean) => {
    const account = { id: pending.accountId, username: (await deps.usernameOf(pending.accountId)) ?? pending.accountId };
    const setup = (await deps.totp.pendingSetup(account)) ?? (await deps.totp.begin(account));
    return send(request, reply, status, 'security.setUp', (lang, formToken) => totpSetupForm(lang, setup, ENROL_PATH, hidden(formToken, mfaToken), wrong));
  };
  /** The open sign-in of `mfaToken` that must enrol, or undefined. */
  const enrolling = async (mfaToken: string) => {
    const pending = await deps.pending.find(mfaToken);
    return pending?.enroll && !pending.enrolled ? pending : undefined;
  };
  const csrf = requireLoginCsrf(deps.loginCsrf, (request, reply) => expired(request, reply, 403));

  app.post(ENROL_START_PATH, { preValidation: csrf, errorHandler: hostedPageErrors, schema: { tags: ['pages'], summary: 'Set up an authenticator app within a sign-in (mfa.requiredFor)', body: StartForm } }, async (request, reply) => {
    const pending = await enrolling(request.body.mfaToken);
    return pending ? setupPage(request, reply, 200, pending, request.body.mfaToken, false) : expired(request, reply);
  });

  app.post(ENROL_PATH, { preValidation: csrf, errorHandler: hostedPageErrors, schema: { tags: ['pages'], summary: 'Turn the new authenticator app on with its first code, within a sign-in', body: ConfirmForm } }, async (request, reply) => {
    const { mfaToken, code } = request.body;
    const pending = await enrolling(mfaToken);
    if (!pending) return expired(request, reply);
    let codes: string[];
    try {
      codes = await deps.totp.confirm(pending.accountId, code.trim());
    } catch (error) {
      if (error instanceof AppError && error.code === 'invalid-mfa-code') return setupPage(request, reply, 401, pending, mfaToken, true);
      throw error;
    }
    if (!(await deps.pending.markEnrolled(pending, 'totp'))) return expired(request, reply);
    return continuePage(request, reply, pending, mfaToken, codes);
  });

  /** The recovery codes (when the factor brought them) once, and "Continue signing in" to where the sign-in began. */
  const continuePage = async (request: FastifyRequest, reply: FastifyReply, pending: PendingSignIn, mfaToken: string, codes: string[] | undefined, added?: MessageKey) => {
    const next = await continuationOf(deps.db, pending);
    return send(request, reply, 200, codes ? 'security.codesTitle' : 'security.title', (lang, formToken) => html`${added ? html`<p class="ok" role="status">${t(lang, added)}</p>` : ''}
${codes ? recoveryCodeList(lang, codes) : ''}
<form method="post" action="${next.action}">${hidden(formToken, mfaToken)}<input type="hidden" name="method" value="enrolled">
<button type="submit">${t(lang, 'mfa.continue')}</button></form>`, next.allow);
  };

  app.post(ENROL_PASSKEY_PATH, { preValidation: csrf, errorHandler: hostedPageErrors, schema: { tags: ['pages'], summary: 'Add a passkey within a sign-in (mfa.requiredFor; the passkey script’s answer)', body: PasskeyForm } }, async (request, reply) => {
    if (!deps.passkeys.enabled) throw new AppError('not-found', 'passkeys are disabled on this server (mfa.webauthn.enabled)');
    const { mfaToken } = request.body;
    const pending = await enrolling(mfaToken);
    if (!pending) return expired(request, reply);
    let added: Awaited<ReturnType<Passkeys['register']>>;
    try {
      added = await deps.passkeys.register(pending.accountId, registrationFromForm(request.body.credential), undefined);
    } catch (error) {
      // A credential that does not verify, or one registered already: the choice again, saying so.
      if (!(error instanceof AppError) || (error.code !== 'invalid-request' && error.code !== 'conflict')) throw error;
      const state = { mfaToken, methods: [], enrol: true, enrolWith: enrolOptionsOf(deps.loginCsrf.config) };
      return send(request, reply, error.status, 'mfa.title', (lang, formToken) => html`<p class="error" role="alert">${t(lang, error.code === 'conflict' ? 'passkey.duplicate' : 'passkey.addFailed')}</p>
${enrolChoice(lang, formToken, state)}`, { passkeys: true });
    }
    if (!(await deps.pending.markEnrolled(pending, 'webauthn'))) return expired(request, reply);
    return continuePage(request, reply, pending, mfaToken, added.recoveryCodes, 'passkey.added');
  });
};

/**
 * The second page the sign-in began with: a client's hosted login, or for a cookie sign-in the page it began on (the
 * admin console's, or the account page's), so that it lands where it started.
 */
async function continuationOf(db: Kysely<DB>, pending: PendingSignIn): Promise<Continuation> {
  const { plan } = await resumePlan(db, pending.continuation);
  if (plan.kind === 'client') return { action: `${SECOND_STEP_PATH}?clientID=${encodeURIComponent(plan.client.clientID)}`, allow: clientFormOrigins(plan.client) };
  if (plan.kind === 'cookie') return { action: plan.secondStepPath ?? '/account/login/mfa', allow: {} };
  throw new AppError('invalid-token', 'this sign-in began at the API: finish it there with POST /api/auth/mfa/verify');
}
