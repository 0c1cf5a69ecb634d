import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AccountService } from '../accounts/account.service.js';
import { Email, errorResponses, Password } from '../http/schemas.js';
import type { Client } from '../clients/client.repository.js';
import { assertClientAccepts, clientAccepts, requireClient } from '../clients/client-rules.js';
import { AppError } from '../http/errors.js';
import type { Problem } from '../http/problem.js';
import { InviteCode } from '../invites/invite.schemas.js';
import { hostedPageErrors } from '../pages/error-page.js';
import { formTokenField, isFormPost, issueFormToken } from '../pages/form-token.js';
import { field, formErrors, passwordHint, translateFieldErrors, type FieldErrors } from '../pages/forms.js';
import { formatDuration, pickLanguage, t, type Lang, type MessageKey } from '../pages/i18n.js';
import { html, sendHtmlPage, type SafeHtml } from '../pages/layout.js';
import type { Config } from '../config/index.js';
import { registeredCheckEmailPage } from './confirmation-pages.js';
import { clientFormOrigins, HostedClientQuery, hostedQuery, interactionOf, handleHostedForm, requireClientLoginCsrf, signInFromHostedForm, type HostedFormDeps, type ShowAgain } from './hosted-client.js';

const tags = ['pages'];
const ClientQuery = HostedClientQuery;
const RegisterForm = Type.Object({ email: Email, password: Password, invite: Type.Optional(InviteCode) }, { additionalProperties: false });

interface RegisterState {
  errors?: FieldErrors;
  email?: string | undefined;
  invite?: string | undefined;
}

/** What the registration page uses: the hosted-form steps, and accounts to create the new one. */
export interface SignupPageDeps extends HostedFormDeps {
  accounts: Pick<AccountService, 'register' | 'row'>;
}

/**
 * Seed 000's registration by redirect: `GET|POST /auth/register?clientID=` creates the account, mails the
 * confirmation link and — through the sign-in pipeline, as a way in — delivers a token to the client at once; with
 * `signup.tokenBeforeConfirmation: false` it says "check your e-mail" and the link delivers the token
 * (confirmation-page.routes.ts). Either way the link remembers the client, so its page leads back there.
 */
export const signupPageRoutes: FastifyPluginAsync<SignupPageDeps> = async (fastify, deps) => {
  const { config, clients, loginCsrf, accounts } = deps;
  const renderRegister = (request: FastifyRequest, reply: FastifyReply, client: Client, status: number, state: RegisterState = {}): FastifyReply => {
    const lang = pickLanguage(request.headers['accept-language']);
    const closed = registrationClosed(config, client);
    if (closed) return renderPage(reply, lang, closed.status, html`<p class="error">${t(lang, closed.message)}</p>`, t(lang, 'register.title'));
    const token = issueFormToken(request, reply, loginCsrf);
    const title = client.name ? t(lang, 'register.titleFor', { client: client.name }) : t(lang, 'register.title');
    return renderPage(reply, lang, status, registerForm(config, client, hostedQuery(client, interactionOf(request)), lang, token, state), title, client);
  };

  // Form bodies only for the hosted registration page; the JSON endpoints next to it keep refusing them (415).
  await fastify.register(formbody, { bodyLimit: 16 * 1024 });
  const pages = fastify.withTypeProvider<TypeBoxTypeProvider>();

  pages.get('/auth/register', {
    // A browser gets a page for a missing or unknown client (pages/error-page.ts); API callers keep problem+json.
    errorHandler: hostedPageErrors,
    schema: { tags, summary: 'Hosted registration page of a client', querystring: ClientQuery },
  }, async (request, reply) => {
    const client = await requireClient(clients, request.query.clientID);
    return renderRegister(request, reply, client, 200);
  });

  pages.post('/auth/register', {
    errorHandler: hostedPageErrors,
    preValidation: requireClientLoginCsrf(deps, renderRegister),
    // Validation errors reach the handler, so a person sees the form again with the reason next to the field.
    attachValidation: true,
    schema: {
      tags, summary: 'Register for a client (form or JSON); mails the confirmation link and delivers a token like login',
      querystring: ClientQuery, body: RegisterForm,
      response: { 200: Type.Object({ token: Type.String(), accountID: Type.String() }), 202: Type.Object({ accountID: Type.String() }), ...errorResponses },
    },
  }, async (request, reply) => {
    const showAgain: ShowAgain = (client, problem) => {
      const lang = pickLanguage(request.headers['accept-language']);
      return renderRegister(request, reply, client, problem.status, { errors: registerErrors(config, lang, problem), ...bodyValues(request.body) });
    };
    if (!config.signup.tokenBeforeConfirmation) {
      return handleHostedForm(deps, request, reply, (client) => registerThenCheckEmail(request, reply, config, accounts, client, request.body), showAgain);
    }
    // Seed 000: registering delivers a token at once, although the account is not confirmed yet.
    return signInFromHostedForm(deps, request, reply, (client) => ({ kind: 'new-account', strategy: 'password', create: () => registerAccount(accounts, request.body, client) }), showAgain);
  });
};

/**
 * `signup.tokenBeforeConfirmation: false`: the account is made and the link mailed, but no session starts — a person
 * reads "check your e-mail", a JSON caller gets `202 {accountID}`. The client's refusal of passwords is checked here
 * as the pipeline's step 1 would.
 */
async function registerThenCheckEmail(
  request: FastifyRequest, reply: FastifyReply, config: Config, accounts: SignupPageDeps['accounts'], client: Client, form: RegistrationForm,
): Promise<FastifyReply> {
  assertClientAccepts(client, 'password');
  const account = await registerAccount(accounts, form, client);
  if (!isFormPost(request)) return reply.code(202).send({ accountID: account.id });
  const lang = pickLanguage(request.headers['accept-language']);
  const page = registeredCheckEmailPage(lang, form.email, formatDuration(lang, config.signup.confirmationTokenTtl));
  return renderPage(reply, lang, 200, page, t(lang, 'registered.title'));
}

/** What the registration form carries, once validated. */
type RegistrationForm = { email: string; password: string; invite?: string | undefined };

async function registerAccount(accounts: SignupPageDeps['accounts'], body: RegistrationForm, client: Client) {
  const view = await accounts.register({ email: body.email, password: body.password, invite: body.invite, clientID: client.clientID });
  const account = await accounts.row(view.id);
  if (!account) throw new AppError('internal-error', 'the new account vanished');
  return account;
}

/** Why the page may not offer registration, if it may not: signup off, or the client refuses passwords. */
function registrationClosed(config: Config, client: Client): { status: number; message: MessageKey } | null {
  if (!config.signup.enabled) return { status: 403, message: 'register.closed' };
  if (!clientAccepts(client, 'password')) return { status: 403, message: 'register.passwordUnavailable' };
  return null;
}

/** What the person typed (never the password), to fill the form in again. */
function bodyValues(body: unknown): { email?: string; invite?: string } {
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, 256) : undefined);
  return { email: text(record.email), invite: text(record.invite) };
}

/** The registration problem as messages next to the fields (policy violations under the password). */
function registerErrors(config: Config, lang: Lang, problem: Problem): FieldErrors {
  const fields = ['email', 'password', ...(config.signup.inviteOnly ? ['invite'] : [])];
  if (problem.errors?.length) return translateFieldErrors(lang, problem.errors, fields, config.password.policy);
  // A registration race lost at the unique index has no field list, but it is the e-mail that is taken.
  if (problem.code === 'conflict') return { email: [t(lang, 'field.email.taken')] };
  return { form: [t(lang, 'form.failed')] };
}

function registerForm(config: Config, client: Client, query: string, lang: Lang, token: string, state: RegisterState): SafeHtml {
  const errors = state.errors ?? {};
  const invite = config.signup.inviteOnly
    ? field('invite', t(lang, 'register.invite'), { value: state.invite, errors: errors.invite })
    : '';
  return html`${formErrors(errors)}<form method="post" action="/auth/register?${query}">${formTokenField(token)}
${field('email', t(lang, 'register.email'), { type: 'email', autocomplete: 'email', value: state.email, errors: errors.email })}
${field('password', t(lang, 'register.password'), {
    type: 'password', autocomplete: 'new-password', errors: errors.password, hint: passwordHint(lang, config.password.policy),
  })}
${invite}
<button type="submit">${t(lang, 'register.submit')}</button>
</form>
<p>${t(lang, 'register.already')} <a href="/auth/login?${query}">${t(lang, 'register.login')}</a></p>`;
}

/** A page; with a client, its CSP lets the form's post end in the redirect to the client's callbackURL. */
function renderPage(reply: FastifyReply, lang: Lang, status: number, body: SafeHtml, title: string, client?: Client): FastifyReply {
  return sendHtmlPage(reply, status, title, body, lang, client ? clientFormOrigins(client) : {});
}
