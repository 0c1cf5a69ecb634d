import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Client } from '../clients/client.repository.js';
import { clientAccepts, requireClient } from '../clients/client-rules.js';
import type { Problem } from '../http/problem.js';
import { formTokenField, issueFormToken } from '../pages/form-token.js';
import { field, formErrors, translateFieldErrors, type FieldErrors } from '../pages/forms.js';
import { pickLanguage, t, type Lang } from '../pages/i18n.js';
import { html, sendHtmlPage, type SafeHtml } from '../pages/layout.js';
import { LoginName } from '../http/schemas.js';
import type { Config } from '../config/index.js';
import { renderSecondStep } from './second-step-page.js';
import { secondStepStateOf } from '../pages/second-step-form.js';
import { hostedPageErrors } from '../pages/error-page.js';
import { resendConfirmationForm } from './confirmation-pages.js';
import { assertionFromForm } from '../mfa/form-credential.js';
import { passkeyForm } from '../pages/passkey-form.js';
import {
  clientFormOrigins, HostedClientQuery, hostedQuery, interactionOf, PROBLEM_CODE_PATTERN, requireClientLoginCsrf, signInFromHostedForm, signInTitle, type HostedFormDeps,
} from './hosted-client.js';

const ClientQuery = HostedClientQuery;
/** The page's own query: a provider login that failed inside an OpenID interaction comes back with `error=<code>`. */
const LoginPageQuery = Type.Object({
  ...HostedClientQuery.properties,
  error: Type.Optional(Type.String({ pattern: PROBLEM_CODE_PATTERN, description: 'Set when a provider login failed: the page says so' })),
});
const LoginForm = Type.Object(
  { email: LoginName, password: Type.String({ minLength: 1 }) },
  { additionalProperties: false },
);
/** The passkey script's answer (pages/passkey-script.ts), as WebAuthn JSON text; the form token is taken out before. */
const PasskeyForm = Type.Object({ credential: Type.String({ minLength: 2, maxLength: 12_000 }) });

interface LoginState {
  errors?: FieldErrors;
  email?: string;
  /** Refused as account-not-confirmed: the page offers a new confirmation link. */
  offerConfirmation?: boolean;
}

/**
 * The hosted login of seed 000: `GET /auth/login?clientID=` renders the form (only the strategies the client has
 * not disabled), `POST` checks the password (the same door as every password login: lockout, password-login
 * control: the sign-in pipeline) and delivers a token to the client. Form posts obey the login-CSRF rule (form-token.ts); a person
 * sees failures on the page, in English or German by Accept-Language, while JSON callers get problem+json.
 * "Sign in with a passkey" posts the passkey script's assertion to `POST /auth/login/passkey`: the same pipeline with
 * the passkey as proof (a full multi-factor login, no second page), delivered to the client alike.
 */
export const loginPageRoutes: FastifyPluginAsync<HostedFormDeps> = async (fastify, deps) => {
  const { config, clients, loginCsrf } = deps;
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  await app.register(formbody, { bodyLimit: 16 * 1024 });

  const showSecondStep = (request: FastifyRequest, reply: FastifyReply, client: Client, problem: Problem) => {
    return renderSecondStep(request, reply, loginCsrf, client, interactionOf(request), 200, secondStepStateOf(problem));
  };

  const render = (request: FastifyRequest, reply: FastifyReply, client: Client, status: number, state: LoginState = {}): FastifyReply => {
    const lang = pickLanguage(request.headers['accept-language']);
    const token = issueFormToken(request, reply, loginCsrf);
    const allow = { ...clientFormOrigins(client), passkeys: offersPasskey(config, client) };
    const query = hostedQuery(client, interactionOf(request));
    return sendHtmlPage(reply, status, signInTitle(lang, client), loginPage(config, client, query, lang, token, state), lang, allow);
  };

  // errorHandler: a browser gets a page for a missing or unknown client (pages/error-page.ts); API callers problem+json.
  app.get('/auth/login', { errorHandler: hostedPageErrors, schema: { tags: ['pages'], summary: 'Hosted login page of a client', querystring: LoginPageQuery } }, async (request, reply) => {
    const client = await requireClient(clients, request.query.clientID);
    const lang = pickLanguage(request.headers['accept-language']);
    // Why no code on the page: the reason is in the audit log, and a link's text should not put words in our mouth.
    const errors = request.query.error ? { form: [t(lang, 'login.providerFailed')] } : undefined;
    return render(request, reply, client, 200, { email: request.query.email, errors });
  });

  app.post('/auth/login', {
    errorHandler: hostedPageErrors,
    preValidation: requireClientLoginCsrf(deps, render),
    // Validation errors reach the handler, so a person sees the form again with the reason next to the field.
    attachValidation: true,
    schema: { tags: ['pages'], summary: 'Sign in for a client; delivers the token by its tokenMethod', querystring: ClientQuery, body: LoginForm },
  }, async (request, reply) => signInFromHostedForm(deps, request, reply, () => ({ kind: 'password', login: request.body.email, password: request.body.password }), (client, problem, headers) => {
    // A right password of an account with a second factor: the second page, with the parked sign-in's token.
    if (problem.code === 'mfa-required') return showSecondStep(request, reply, client, problem);
    // A person who typed a wrong password sees the form again with the reason, and the same status an API caller gets.
    const lang = pickLanguage(request.headers['accept-language']);
    const typed = (request.body ?? {}) as Record<string, unknown>;
    const email = typeof typed.email === 'string' ? typed.email.slice(0, 254) : undefined;
    const offerConfirmation = problem.code === 'account-not-confirmed';
    return render(request, reply.headers(headers), client, problem.status, { errors: loginErrors(config, lang, problem), email, offerConfirmation });
  }));

  app.post('/auth/login/passkey', {
    errorHandler: hostedPageErrors,
    preValidation: requireClientLoginCsrf(deps, render),
    attachValidation: true,
    schema: { tags: ['pages'], summary: 'Sign in for a client with a passkey (the passkey script’s assertion); delivers the token by its tokenMethod', querystring: ClientQuery, body: PasskeyForm },
  }, async (request, reply) => signInFromHostedForm(deps, request, reply, () => ({ kind: 'passkey', credential: assertionFromForm(request.body.credential) }), (client, problem, headers) => {
    const lang = pickLanguage(request.headers['accept-language']);
    return render(request, reply.headers(headers), client, problem.status, { errors: passkeyErrors(lang, problem) });
  }));
};

/** Whether the login page offers "Sign in with a passkey": passkeys are on and the client has not disabled them. */
function offersPasskey(config: Config, client: Client): boolean {
  return config.mfa.webauthn.enabled && clientAccepts(client, 'passkey');
}

/** What a refused passkey sign-in tells the person (the reasons stay in the audit log). */
function passkeyErrors(lang: Lang, problem: Problem): FieldErrors {
  switch (problem.code) {
    case 'account-not-confirmed': return { form: [t(lang, 'login.notConfirmed')] };
    case 'account-locked':
    case 'rate-limited': return { form: [t(lang, 'login.locked')] };
    default: return { form: [t(lang, 'passkey.refused')] };
  }
}

function loginErrors(config: Config, lang: Lang, problem: Problem): FieldErrors {
  switch (problem.code) {
    case 'invalid-credentials': return { form: [t(lang, 'login.wrong')] };
    case 'account-not-confirmed': return { form: [t(lang, 'login.notConfirmed')] };
    case 'account-locked':
    case 'rate-limited': return { form: [t(lang, 'login.locked')] };
    case 'login-method-disabled': return { form: [t(lang, 'login.methodDisabled')] };
    case 'invalid-request':
      if (problem.errors?.length) return translateFieldErrors(lang, problem.errors, ['email', 'password'], config.password.policy, { email: 'login', password: 'loginPassword' });
      return { form: [t(lang, 'form.failed')] };
    default: return { form: [t(lang, 'form.failed')] };
  }
}

/**
 * Sign-in providers configured on this server that the client has not disabled; every link carries the client and
 * the OpenID interaction (`query`), which the provider flow keeps until it comes back (providers/flow-origin.ts).
 */
function providerLinks(config: Config, client: Client, query: string): Array<{ href: string; name: string }> {
  const { google, facebook, oidc } = config.providers;
  const links: Array<{ href: string; name: string }> = [];
  if (google && clientAccepts(client, 'google')) links.push({ href: `/auth/google?${query}`, name: 'Google' });
  if (facebook && clientAccepts(client, 'facebook')) links.push({ href: `/auth/facebook?${query}`, name: 'Facebook' });
  for (const provider of oidc) {
    if (clientAccepts(client, 'oidc') && clientAccepts(client, `oidc:${provider.id}`)) links.push({ href: `/auth/oidc/${encodeURIComponent(provider.id)}?${query}`, name: provider.name });
  }
  if (config.saml.enabled && clientAccepts(client, 'saml')) links.push({ href: `/auth/saml?${query}`, name: 'SAML' });
  if (config.cas.enabled && config.cas.serverUrl && clientAccepts(client, 'cas')) links.push({ href: `/auth/cas?${query}`, name: 'CAS' });
  return links;
}

function loginPage(config: Config, client: Client, query: string, lang: Lang, token: string, state: LoginState): SafeHtml {
  const errors = state.errors ?? {};
  const passwordEnabled = clientAccepts(client, 'password');
  const providers = providerLinks(config, client, query);
  const passwordForm = passwordEnabled
    ? html`<form method="post" action="/auth/login?${query}">${formTokenField(token)}
${field('email', t(lang, 'login.email'), { autocomplete: 'username', value: state.email, errors: errors.email })}
${field('password', t(lang, 'login.password'), { type: 'password', autocomplete: 'current-password', errors: errors.password })}
<button type="submit">${t(lang, 'login.submit')}</button>
</form>`
    : html`<p>${t(lang, 'login.passwordUnavailable')}</p>`;
  const others = providers.length
    ? html`<section aria-labelledby="other-ways"><h2 id="other-ways">${t(lang, 'login.otherWays')}</h2>
<ul>${providers.map((p) => html`<li><a href="${p.href}">${t(lang, 'login.with', { provider: p.name })}</a></li>`)}</ul></section>`
    : '';
  // A plain GET form: the "check your e-mail" page it opens mails the link (CONTRACT §5).
  const forgot = passwordEnabled
    ? html`<section aria-labelledby="forgot"><h2 id="forgot">${t(lang, 'login.forgot')}</h2>
<form method="get" action="/auth/password-reset"><input type="hidden" name="clientID" value="${client.clientID}">
${field('email', t(lang, 'login.forgotEmail'), { id: 'reset-email', type: 'email', autocomplete: 'email' })}
<button type="submit">${t(lang, 'login.forgotSubmit')}</button>
</form></section>`
    : '';
  const register = passwordEnabled && config.signup.enabled
    ? html`<p>${t(lang, 'login.noAccount')} <a href="/auth/register?${query}">${t(lang, 'login.register')}</a></p>`
    : '';
  const confirmation = state.offerConfirmation ? resendConfirmationForm(lang, client, token, state.email) : '';
  const passkey = offersPasskey(config, client)
    ? html`<section aria-labelledby="passkey-login"><h2 id="passkey-login">${t(lang, 'passkey.signIn')}</h2><p>${t(lang, 'passkey.signInIntro')}</p>
${passkeyForm(lang, { kind: 'login', action: `/auth/login/passkey?${query}`, hidden: formTokenField(token), submit: 'passkey.continue', id: 'passkey-login-form' })}</section>`
    : '';
  return html`${formErrors(errors)}${passwordForm}
${confirmation}
${passkey}
${others}
${forgot}
${register}`;
}
