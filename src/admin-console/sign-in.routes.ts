import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Config } from '../config/index.js';
import { AppError } from '../http/errors.js';
import { formTokenField, issueFormToken, requireLoginCsrf, type LoginCsrfDeps } from '../pages/form-token.js';
import { field, formErrors, type FieldErrors } from '../pages/forms.js';
import { pickLanguage, t, type Lang, type MessageKey } from '../pages/i18n.js';
import { html } from '../pages/layout.js';
import { offersPasskey, SecondStepFormBody, secondStepForm, secondStepStateOf, type SecondStepState } from '../pages/second-step-form.js';
import { clearAuthCookies } from '../sessions/cookies.js';
import type { SessionEnding } from '../sessions/session.routes.js';
import type { CookieSecondStep, CookieSignIn } from '../sign-in/cookie-login.routes.js';
import { enrolOptionsOf } from '../sign-in/second-step-page.js';
import { at } from './admin-messages.js';
import { adminPageErrors, CONSOLE_PATH, sendAdminPage, SIGN_IN_PATH, SIGN_OUT_PATH } from './admin-page.js';
import { requireConsoleFormToken } from './console-access.js';
import { signInRefusal } from '../pages/sign-in-refusals.js';

/** The console's second step; a sign-in that must set up a factor first continues here too (app.ts hands it to cookieSignIn). */
export const SECOND_STEP_PATH = '/admin/sign-in/mfa';
const NO_CONTROL = '^[^\\u0000-\\u001f\\u007f]*$';
const SignInForm = Type.Object({ login: Type.String({ minLength: 1, maxLength: 254, pattern: NO_CONTROL }), password: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false });

/** What the console's sign-in uses: the same password-to-cookie way in and second step as the account page. */
export interface ConsoleSignInDeps {
  config: Config;
  serverKey: string;
  signIn: CookieSignIn;
  secondStep: Pick<CookieSecondStep, 'finish' | 'methodsFor'>;
  loginCsrf: LoginCsrfDeps;
  logins: Pick<SessionEnding, 'logout'>;
}


/**
 * `/admin/sign-in` and `/admin/sign-out`. Signing in is the account page's cookie sign-in (the one pipeline: lockout,
 * second factor, `mfa.requiredFor`, audit) under the same login-CSRF rule; only where it lands differs — the console.
 * Why not send people to `/account` and back: its second step posts to the account page, which lands there.
 */
export const consoleSignInRoutes: FastifyPluginAsync<ConsoleSignInDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const errorHandler = adminPageErrors(deps.serverKey);
  const langOf = (request: FastifyRequest) => pickLanguage(request.headers['accept-language']);

  const signInPage = (request: FastifyRequest, reply: FastifyReply, status: number, errors: FieldErrors = {}) => {
    const lang = langOf(request);
    const token = issueFormToken(request, reply, deps.loginCsrf);
    const body = html`<p>${at(lang, 'signIn.intro')}</p>${formErrors(errors)}<form method="post" action="${SIGN_IN_PATH}">${formTokenField(token)}
${field('login', t(lang, 'account.login'), { autocomplete: 'username', errors: errors.login })}
${field('password', t(lang, 'account.password'), { type: 'password', autocomplete: 'current-password', errors: errors.password })}
<button type="submit">${t(lang, 'account.submit')}</button></form>`;
    return sendAdminPage(reply, { status, title: at(lang, 'signIn.title'), body, lang });
  };
  const secondStepPage = (request: FastifyRequest, reply: FastifyReply, status: number, state: SecondStepState) => {
    const lang = langOf(request);
    // A sign-in that must set up a factor first is offered what this server has on (a passkey too), as on /account.
    const shown = state.enrol ? { ...state, enrolWith: enrolOptionsOf(deps.config) } : state;
    const body = secondStepForm(lang, SECOND_STEP_PATH, issueFormToken(request, reply, deps.loginCsrf), shown, SIGN_IN_PATH);
    return sendAdminPage(reply, { status, title: t(lang, 'mfa.title'), body, lang, passkeys: offersPasskey(shown) });
  };
  const expired = (request: FastifyRequest, reply: FastifyReply) => signInPage(request, reply, 403, { form: [t(langOf(request), 'form.expired')] });

  app.get(SIGN_IN_PATH, { errorHandler, schema: { tags: ['admin console'], summary: 'The admin console’s sign-in (HTML)' } }, async (request, reply) => {
    if (request.auth?.kind === 'cookie') return reply.redirect(CONSOLE_PATH, 303);
    return signInPage(request, reply, 200);
  });

  app.post(SIGN_IN_PATH, {
    errorHandler,
    // Signing in starts a session: the login-CSRF rule of every session-starting form (pages/form-token.ts).
    preValidation: requireLoginCsrf(deps.loginCsrf, expired),
    attachValidation: true,
    schema: { tags: ['admin console'], summary: 'Sign in to the admin console', body: SignInForm },
  }, async (request, reply) => {
    const lang = langOf(request);
    if (request.validationError) return signInPage(request, reply, 400, missingFields(lang, request.body));
    try {
      await deps.signIn(request, reply, request.body.login, request.body.password);
      return reply.redirect(CONSOLE_PATH, 303);
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      if (error.code === 'mfa-required') return secondStepPage(request, reply, 200, secondStepStateOf(error.extra.members ?? {}));
      if (error.extra.retryAfterSeconds !== undefined) reply.header('retry-after', String(Math.ceil(error.extra.retryAfterSeconds)));
      return signInPage(request, reply, error.status, { form: [t(lang, signInRefusal(error.code, 'form.failed'))] });
    }
  });

  app.post(SECOND_STEP_PATH, {
    errorHandler,
    preValidation: requireLoginCsrf(deps.loginCsrf, expired),
    attachValidation: true,
    schema: { tags: ['admin console'], summary: 'The second step of a sign-in to the admin console', body: SecondStepFormBody },
  }, async (request, reply) => {
    const lang = langOf(request);
    const posted = (request.body ?? {}) as Record<string, unknown>;
    const wrong: MessageKey = posted.method === 'webauthn' ? 'passkey.wrong' : 'mfa.wrong';
    const again = async (status: number, message: MessageKey) => {
      const mfaToken = typeof posted.mfaToken === 'string' ? posted.mfaToken.slice(0, 128) : '';
      const methods = message === wrong ? await deps.secondStep.methodsFor(mfaToken) : null;
      if (!methods) return signInPage(request, reply, status, { form: [t(lang, message === wrong ? 'mfa.expired' : message)] });
      return secondStepPage(request, reply, status, { mfaToken, methods, errors: { form: [t(lang, message)] } });
    };
    if (request.validationError) return again(400, wrong);
    try {
      await deps.secondStep.finish(request, reply, request.body);
      return reply.redirect(CONSOLE_PATH, 303);
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      if (error.code === 'invalid-mfa-code' || error.code === 'invalid-request') return again(error.status, wrong);
      return again(error.status, signInRefusal(error.code, 'mfa.expired'));
    }
  });

  app.post(SIGN_OUT_PATH, {
    errorHandler,
    preValidation: requireConsoleFormToken(deps.serverKey),
    schema: { tags: ['admin console'], summary: 'Sign out of the admin console (ends the session)', body: Type.Object({}, { additionalProperties: false }) },
  }, async (request, reply) => {
    const auth = request.auth!;
    await deps.logins.logout(auth.sessionId, auth.accountId);
    clearAuthCookies(reply, deps.config);
    return reply.redirect(SIGN_IN_PATH, 303);
  });
};

/** The sign-in form's empty or malformed fields, each under its own field. */
function missingFields(lang: Lang, body: unknown): FieldErrors {
  const posted = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const errors: FieldErrors = {};
  if (typeof posted.login !== 'string' || !new RegExp(NO_CONTROL).test(posted.login) || posted.login.length < 1 || posted.login.length > 254) {
    errors.login = [t(lang, posted.login ? 'field.login.invalid' : 'field.login.required')];
  }
  if (typeof posted.password !== 'string' || posted.password.length < 1 || posted.password.length > 4096) errors.password = [t(lang, 'field.loginPassword.required')];
  if (!errors.login && !errors.password) errors.form = [t(lang, 'form.failed')];
  return errors;
}
