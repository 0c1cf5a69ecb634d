import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../http/errors.js';
import { formTokenField, issueFormToken, requireLoginCsrf, requireSessionFormToken, sessionFormToken, type LoginCsrfDeps } from '../pages/form-token.js';
import { field, formErrors, passwordHint, translateFieldErrors, type FieldErrors } from '../pages/forms.js';
import type { PasswordPolicy } from '../passwords/policy.js';
import { pickLanguage, t, type Lang, type MessageKey } from '../pages/i18n.js';
import { html, sendHtmlPage, type SafeHtml } from '../pages/layout.js';
import { SecondStepFormBody, secondStepStateOf, type SecondStepForm, type SecondStepState } from '../pages/second-step-form.js';
import type { Config } from '../config/index.js';
import { clearAuthCookies } from '../sessions/cookies.js';
import type { SessionEnding } from '../sessions/session.routes.js';
import type { SessionService } from '../sessions/session.service.js';
import type { AccountService } from './account.service.js';
import type { AccountView } from './account.view.js';
import { sessionList } from './session-list.js';
import { signInRefusal } from '../pages/sign-in-refusals.js';

const NO_CONTROL = '^[^\\u0000-\\u001f\\u007f]*$';
const SignInForm = Type.Object({ login: Type.String({ minLength: 1, maxLength: 254, pattern: NO_CONTROL }), password: Type.String({ minLength: 1 }) }, { additionalProperties: false });
const EndSessionForm = Type.Object({ session: Type.String({ format: 'uuid' }), csrf: Type.String({ maxLength: 64 }) }, { additionalProperties: false });
const PasswordForm = Type.Object(
  { currentPassword: Type.String(), password: Type.String(), passwordRepeat: Type.String(), csrf: Type.String({ maxLength: 64 }) },
  { additionalProperties: false },
);
const CsrfForm = Type.Object({ csrf: Type.String({ maxLength: 64 }) }, { additionalProperties: false });

/** What the account page uses: the account, its sessions, the server key its form tokens derive from, and the ways to sign in. */
export interface AccountPageOptions {
  config: Config;
  /** The cluster's key; the signed-in forms' tokens are HMACs of the session under it. */
  serverKey: string;
  accounts: AccountService;
  sessions: SessionService;
  logins: SessionEnding;
  /**
   * Signs in with a password and sets the auth cookie (sign-in/cookie-login.routes.ts `cookieSignIn`). Why passed in:
   * signing in is the sign-in pipeline's, which sits above accounts/.
   */
  signIn: (request: FastifyRequest, reply: FastifyReply, login: string, password: string) => Promise<unknown>;
  /** The login-CSRF rule's dependencies, with the registered clients' callback origins (sign-in/hosted-client.ts). */
  loginCsrf: LoginCsrfDeps;
  /** The second step of a sign-in here (sign-in/cookie-login.routes.ts `cookieSecondStep`), passed in for the same reason. */
  secondStep: {
    finish(request: FastifyRequest, reply: FastifyReply, answer: SecondStepForm): Promise<unknown>;
    methodsFor(mfaToken: string): Promise<string[] | null>;
    render(request: FastifyRequest, reply: FastifyReply, status: number, state: SecondStepState): FastifyReply;
  };
  /** Sections other features add to the signed-in page (mfa/: the security section), after the profile. */
  sections?: AccountSection[];
}

/** One section of the signed-in account page: its HTML for this caller, with the forms' session token. */
export type AccountSection = (auth: { accountId: string; sessionId: string }, lang: Lang, formToken: string) => Promise<SafeHtml>;

/**
 * `/account`: where a signed-in person sees the profile, the sessions (and ends one) and changes the password.
 * Signed-in forms carry a token derived from the session (on top of the Origin check every cookie request passes),
 * the sign-in form obeys the login-CSRF rule of every session-starting form (form-token.ts); errors
 * stand next to their field, and the language follows Accept-Language (English or German).
 */
export const accountPageRoutes: FastifyPluginAsync<AccountPageOptions> = async (fastify, { config, serverKey, accounts, sessions, logins, signIn, loginCsrf, secondStep, sections = [] }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  const csrfFor = (sessionId: string) => sessionFormToken(serverKey, sessionId);
  const signedIn = (request: FastifyRequest) => (request.auth?.kind === 'cookie' ? request.auth : null);
  const assertCsrf = (request: FastifyRequest, token: string) => requireSessionFormToken(request, serverKey, token);

  const render = async (request: FastifyRequest, reply: FastifyReply, status: number, notice: SafeHtml | '' = '', errors: FieldErrors = {}) => {
    const lang = pickLanguage(request.headers['accept-language']);
    const auth = signedIn(request);
    if (!auth) {
      const token = issueFormToken(request, reply, loginCsrf);
      return sendHtmlPage(reply, status, t(lang, 'account.signin'), signInForm(lang, token, errors), lang);
    }
    const view = await accounts.view(auth.accountId);
    const rows = await sessions.listLive(auth.accountId);
    const extra = await Promise.all(sections.map((section) => section(auth, lang, csrfFor(auth.sessionId))));
    const body = html`${notice}${profile(lang, view)}${extra}${sessionList(lang, rows, auth.sessionId, csrfFor(auth.sessionId))}${passwordForm(lang, csrfFor(auth.sessionId), errors, config.password.policy)}
<form method="post" action="/account/logout"><input type="hidden" name="csrf" value="${csrfFor(auth.sessionId)}"><button type="submit">${t(lang, 'account.logout')}</button></form>`;
    return sendHtmlPage(reply, status, t(lang, 'account.title'), body, lang, { scripts: true, passkeys: config.mfa.webauthn.enabled });
  };

  /** The sign-in's second step (CONTRACT §5), its form posting to /account/login/mfa. */
  const renderSecondStep = secondStep.render;

  app.get('/account', { schema: { tags: ['pages'], summary: 'The signed-in person’s account page (HTML)' } }, async (request, reply) => {
    const lang = pickLanguage(request.headers['accept-language']);
    const notice = (request.query as Record<string, unknown>).ended !== undefined ? html`<p class="ok" role="status">${t(lang, 'account.session.ended')}</p>` : '';
    return render(request, reply, 200, notice);
  });

  app.post('/account/login', {
    // Signing in starts a session: the login-CSRF rule of the other session-starting forms applies.
    preValidation: requireLoginCsrf(loginCsrf, (request, reply) => render(request, reply, 403, '', { form: [t(pickLanguage(request.headers['accept-language']), 'form.expired')] })),
    schema: { tags: ['pages'], summary: 'Sign in from the account page', body: SignInForm },
  }, async (request, reply) => {
    const lang = pickLanguage(request.headers['accept-language']);
    try {
      await signIn(request, reply, request.body.login, request.body.password);
      return reply.redirect('/account', 303);
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      if (error.code === 'mfa-required') return showSecondStep(request, reply, error);
      if (error.extra.retryAfterSeconds !== undefined) reply.header('retry-after', String(Math.ceil(error.extra.retryAfterSeconds)));
      const message = t(lang, signInRefusal(error.code, 'form.failed'));
      return render(request, reply, error.status, '', { form: [message] });
    }
  });

  const showSecondStep = (request: FastifyRequest, reply: FastifyReply, error: AppError) => {
    return renderSecondStep(request, reply, 200, secondStepStateOf(error.extra.members ?? {}));
  };

  app.post('/account/login/mfa', {
    preValidation: requireLoginCsrf(loginCsrf, (request, reply) => render(request, reply, 403, '', { form: [t(pickLanguage(request.headers['accept-language']), 'form.expired')] })),
    attachValidation: true,
    schema: { tags: ['pages'], summary: 'The second step of a sign-in from the account page', body: SecondStepFormBody },
  }, async (request, reply) => {
    const lang = pickLanguage(request.headers['accept-language']);
    const wrong: MessageKey = (request.body as { method?: unknown } | undefined)?.method === 'webauthn' ? 'passkey.wrong' : 'mfa.wrong';
    const again = async (status: number, message: MessageKey) => {
      const mfaToken = String((request.body as Record<string, unknown> | undefined)?.mfaToken ?? '');
      const methods = message === wrong ? await secondStep.methodsFor(mfaToken) : null;
      if (!methods) return render(request, reply, status, '', { form: [t(lang, message === wrong ? 'mfa.expired' : message)] });
      return renderSecondStep(request, reply, status, { mfaToken, methods, errors: { form: [t(lang, message)] } });
    };
    if (request.validationError) return again(400, wrong);
    try {
      await secondStep.finish(request, reply, request.body);
      return reply.redirect('/account', 303);
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      if (error.code === 'invalid-mfa-code') return again(401, wrong);
      if (error.code === 'invalid-request') return again(400, wrong);
      return again(error.status, signInRefusal(error.code, 'mfa.expired'));
    }
  });

  app.post('/account/sessions/end', { schema: { tags: ['pages'], summary: 'End one of one’s sessions from the account page', body: EndSessionForm } }, async (request, reply) => {
    const auth = assertCsrf(request, request.body.csrf);
    const session = await sessions.ownLive(auth.accountId, request.body.session);
    await logins.endSession(session.id, auth.accountId, auth.accountId);
    if (session.id === auth.sessionId) clearAuthCookies(reply, config);
    return reply.redirect('/account?ended', 303);
  });

  app.post('/account/password', { schema: { tags: ['pages'], summary: 'Change one’s password from the account page', body: PasswordForm } }, async (request, reply) => {
    const auth = assertCsrf(request, request.body.csrf);
    const lang = pickLanguage(request.headers['accept-language']);
    const { currentPassword, password, passwordRepeat } = request.body;
    if (password !== passwordRepeat) return render(request, reply, 400, '', { passwordRepeat: [t(lang, 'field.passwordRepeat.differs')] });
    try {
      const principal = await accounts.principal(auth.accountId, auth.sessionId);
      await accounts.changeOwnPassword(principal, { currentPassword: currentPassword === '' ? undefined : currentPassword, password, inetAddress: request.ip });
      return render(request, reply, 200, html`<p class="ok" role="status">${t(lang, 'account.passwordChanged')}</p>`);
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      return render(request, reply, error.status, '', passwordErrors(lang, error, config));
    }
  });

  app.post('/account/logout', { schema: { tags: ['pages'], summary: 'Sign out from the account page', body: CsrfForm } }, async (request, reply) => {
    const auth = assertCsrf(request, request.body.csrf);
    await logins.logout(auth.sessionId, auth.accountId);
    clearAuthCookies(reply, config);
    return reply.redirect('/account', 303);
  });
};


function passwordErrors(lang: Lang, error: AppError, config: Config): FieldErrors {
  if (error.code === 'password-policy') return translateFieldErrors(lang, error.extra.errors ?? [], ['password'], config.password.policy);
  if (error.code === 'invalid-credentials') return { currentPassword: [t(lang, 'account.currentWrong')] };
  if (error.extra.errors?.[0]?.field === 'currentPassword') return { currentPassword: [t(lang, 'account.currentMissing')] };
  return { form: [t(lang, 'form.failed')] };
}

function signInForm(lang: Lang, token: string, errors: FieldErrors) {
  return html`${formErrors(errors)}<form method="post" action="/account/login">${formTokenField(token)}
${field('login', t(lang, 'account.login'), { autocomplete: 'username', errors: errors.login })}
${field('password', t(lang, 'account.password'), { type: 'password', autocomplete: 'current-password' })}
<button type="submit">${t(lang, 'account.submit')}</button>
</form>`;
}

function profile(lang: Lang, view: AccountView) {
  return html`<section aria-labelledby="profile"><h2 id="profile">${t(lang, 'account.profile')}</h2>
<dl><dt>${t(lang, 'account.username')}</dt><dd>${view.username}</dd>
<dt>${t(lang, 'account.email')}</dt><dd>${view.email ?? '—'}</dd>
<dt>${t(lang, 'account.roles')}</dt><dd>${view.roles.join(', ')}</dd>
<dt>${t(lang, 'account.confirmed')}</dt><dd>${t(lang, view.confirmed ? 'account.yes' : 'account.no')}</dd></dl></section>`;
}

function passwordForm(lang: Lang, csrf: string, errors: FieldErrors, policy: PasswordPolicy) {
  return html`<section aria-labelledby="change-password"><h2 id="change-password">${t(lang, 'account.changePassword')}</h2>${formErrors(errors)}
<form method="post" action="/account/password"><input type="hidden" name="csrf" value="${csrf}">
${field('currentPassword', t(lang, 'account.currentPassword'), { type: 'password', autocomplete: 'current-password', errors: errors.currentPassword })}
${field('password', t(lang, 'account.newPassword'), { type: 'password', autocomplete: 'new-password', errors: errors.password, hint: passwordHint(lang, policy) })}
${field('passwordRepeat', t(lang, 'account.repeatPassword'), { type: 'password', autocomplete: 'new-password', errors: errors.passwordRepeat })}
<button type="submit">${t(lang, 'account.save')}</button></form></section>`;
}
