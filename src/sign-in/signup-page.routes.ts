import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AccountService } from '../accounts/account.service.js';
import { Email, errorResponses, Password } from '../http/schemas.js';
import type { Client } from '../clients/client.repository.js';
import { clientAccepts, requireClient } from '../clients/client-rules.js';
import { AppError } from '../http/errors.js';
import type { Problem } from '../http/problem.js';
import { InviteCode } from '../invites/invite.schemas.js';
import { formTokenField, issueFormToken } from '../pages/form-token.js';
import { field, formErrors, translateFieldErrors, type FieldErrors } from '../pages/forms.js';
import { pickLanguage, t, type Lang, type MessageKey } from '../pages/i18n.js';
import { html, page, pageHeaders, type SafeHtml } from '../pages/layout.js';
import type { Config } from '../config/index.js';
import { clientPageHeaders, requireClientLoginCsrf, signInFromHostedForm, type HostedFormDeps } from './hosted-client.js';

const tags = ['pages'];
const ClientQuery = Type.Object({ clientID: Type.Optional(Type.String({ maxLength: 128 })) });
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
 * confirmation link and — through the sign-in pipeline, as a way in — delivers a token to the client at once.
 */
export const signupPageRoutes: FastifyPluginAsync<SignupPageDeps> = async (fastify, deps) => {
  const { config, clients, loginCsrf, accounts } = deps;
  const renderRegister = (request: FastifyRequest, reply: FastifyReply, client: Client, status: number, state: RegisterState = {}): FastifyReply => {
    const lang = pickLanguage(request.headers['accept-language']);
    const closed = registrationClosed(config, client);
    if (closed) return renderPage(reply, lang, closed.status, html`<p class="error">${t(lang, closed.message)}</p>`, t(lang, 'register.title'));
    const token = issueFormToken(request, reply, loginCsrf);
    return renderPage(reply, lang, status, registerForm(config, client, lang, token, state), t(lang, 'register.title'), client);
  };

  // Form bodies only for the hosted registration page; the JSON endpoints next to it keep refusing them (415).
  await fastify.register(formbody, { bodyLimit: 16 * 1024 });
  const pages = fastify.withTypeProvider<TypeBoxTypeProvider>();

  pages.get('/auth/register', {
    schema: { tags, summary: 'Hosted registration page of a client', querystring: ClientQuery },
  }, async (request, reply) => {
    const client = await requireClient(clients, request.query.clientID);
    return renderRegister(request, reply, client, 200);
  });

  pages.post('/auth/register', {
    preValidation: requireClientLoginCsrf(deps, renderRegister),
    // Validation errors reach the handler, so a person sees the form again with the reason next to the field.
    attachValidation: true,
    schema: {
      tags, summary: 'Register for a client (form or JSON); mails the confirmation link and delivers a token like login',
      querystring: ClientQuery, body: RegisterForm, response: { 200: Type.Object({ token: Type.String(), accountID: Type.String() }), ...errorResponses },
    },
  }, async (request, reply) => signInFromHostedForm(
    // Seed 000: registering delivers a token at once, although the account is not confirmed yet.
    deps, request, reply, () => ({ kind: 'new-account', strategy: 'password', create: () => registerAccount(accounts, request.body) }),
    (client, problem) => {
      const lang = pickLanguage(request.headers['accept-language']);
      return renderRegister(request, reply, client, problem.status, { errors: registerErrors(config, lang, problem), ...bodyValues(request.body) });
    },
  ));
};

async function registerAccount(accounts: SignupPageDeps['accounts'], body: { email: string; password: string; invite?: string | undefined }) {
  const view = await accounts.register({ email: body.email, password: body.password, invite: body.invite });
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

function registerForm(config: Config, client: Client, lang: Lang, token: string, state: RegisterState): SafeHtml {
  const errors = state.errors ?? {};
  const query = `clientID=${encodeURIComponent(client.clientID)}`;
  const invite = config.signup.inviteOnly
    ? field('invite', t(lang, 'register.invite'), { value: state.invite, errors: errors.invite })
    : '';
  return html`${formErrors(errors)}<form method="post" action="/auth/register?${query}">${formTokenField(token)}
${field('email', t(lang, 'register.email'), { type: 'email', autocomplete: 'email', value: state.email, errors: errors.email })}
${field('password', t(lang, 'register.password'), {
    type: 'password', autocomplete: 'new-password', errors: errors.password, hint: t(lang, 'password.hint', { min: config.password.policy.minLength }),
  })}
${invite}
<button type="submit">${t(lang, 'register.submit')}</button>
</form>
<p>${t(lang, 'register.already')} <a href="/auth/login?${query}">${t(lang, 'register.login')}</a></p>`;
}

/** A page; with a client, its CSP lets the form's post end in the redirect to the client's callbackURL. */
function renderPage(reply: FastifyReply, lang: Lang, status: number, body: SafeHtml, title: string, client?: Client): FastifyReply {
  return reply.code(status).headers(client ? clientPageHeaders(client) : pageHeaders).send(page(title, body, lang));
}
