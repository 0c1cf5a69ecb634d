import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { findAccountById } from '../accounts/account.repository.js';
import { Email, errorResponses, Password } from '../auth/api-auth.schemas.js';
import { findClient, type Client } from '../clients/client.repository.js';
import { deliverToken } from '../clients/token-delivery.js';
import { formatDurationText } from '../email/templates.js';
import { clientInfo, requireAuth } from '../http/authenticate.js';
import { AppError, invalidField, type FieldError } from '../http/errors.js';
import { toProblem } from '../http/problem.js';
import { InviteCode } from '../invites/invite.schemas.js';
import type { Services } from '../services.js';
import { html, page, pageHeaders, type SafeHtml } from './layout.js';
import { clientPageHeaders } from './login.routes.js';

const tags = ['pages'];
const ClientQuery = Type.Object({ clientID: Type.Optional(Type.String({ maxLength: 128 })) });
const RegisterForm = Type.Object({ email: Email, password: Password, invite: Type.Optional(InviteCode) }, { additionalProperties: false });
const EmailQuery = Type.Object({ email: Email });
const ResetQuery = Type.Object({ clientID: Type.Optional(Type.String({ maxLength: 128 })), email: Email });
const ChangeEmailBody = Type.Object({ email: Email }, { additionalProperties: false });
const TokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 512 }) });

/**
 * Seed 000's registration by redirect and its neighbours: `GET|POST /auth/register?clientID=` (creates the account,
 * mails the confirmation link and delivers a token to the client at once), `GET /auth/email-available`,
 * `GET /auth/password-reset?clientID=&email=` ("check your e-mail"), and the e-mail change —
 * `POST /auth/change-email` plus the page its e-mailed links open, `GET /auth/change-email/{token}`.
 */
export const signupRoutes: FastifyPluginAsync<{ services: Services }> = async (fastify, { services }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { emailChanges } = services;

  // Form bodies only for the hosted registration page; the JSON endpoints here keep refusing them (415).
  await app.register(async (forms) => {
    await forms.register(formbody, { bodyLimit: 16 * 1024 });
    const pages = forms.withTypeProvider<TypeBoxTypeProvider>();

    pages.get('/auth/register', {
      schema: { tags, summary: 'Hosted registration page of a client', querystring: ClientQuery },
    }, async (request, reply) => {
      const client = await requireClient(services, request.query.clientID);
      const closed = registrationClosed(services, client);
      if (closed) return renderPage(reply, closed.status, closed.message);
      return renderPage(reply, 200, registerForm(services, client), undefined, client);
    });

    pages.post('/auth/register', {
      // Validation errors reach the handler, so a person sees the form again with the reason next to the field.
      attachValidation: true,
      schema: {
        tags, summary: 'Register for a client (form or JSON); mails the confirmation link and delivers a token like login',
        querystring: ClientQuery, body: RegisterForm, response: { 200: Type.Object({ token: Type.String(), accountID: Type.String() }), ...errorResponses },
      },
    }, async (request, reply) => {
      const invalid = request.validationError as (Error & { validationContext?: string }) | undefined;
      if (invalid && invalid.validationContext !== 'body') throw invalid;
      const client = await requireClient(services, request.query.clientID);
      const form = isForm(request);
      try {
        if (invalid) throw invalid;
        if (client.config.disableStrategies.includes('password')) throw new AppError('login-method-disabled', 'this client does not accept passwords');
        const { email, password, invite } = request.body;
        const view = await services.accounts.register({ email, password, invite });
        const account = await findAccountById(services.database.db, view.id);
        if (!account) throw new AppError('internal-error', 'the new account vanished');
        // Seed 000: registering delivers a token at once, although the account is not confirmed yet.
        const issued = await services.logins.clientToken(account, client.clientID, clientInfo(request));
        return deliverToken(request, reply, services.config, client, issued);
      } catch (error) {
        if (!form) throw error;
        const { problem } = toProblem(error);
        if (problem.status >= 500) throw error;
        const closed = registrationClosed(services, client);
        if (closed) return renderPage(reply, problem.status, closed.message);
        const values = bodyValues(request.body);
        return renderPage(reply, problem.status, registerForm(services, client, { detail: problem.detail, errors: problem.errors ?? [], ...values }), undefined, client);
      }
    });
  });

  app.get('/auth/email-available', {
    schema: { tags: ['auth'], summary: 'Whether an e-mail address can still be registered', querystring: EmailQuery, response: { 200: Type.Object({ available: Type.Boolean() }), ...errorResponses } },
  }, async (request, reply) => reply.header('cache-control', 'no-store').send({ available: await emailChanges.isAvailable(request.query.email) }));

  app.get('/auth/password-reset', {
    schema: { tags, summary: 'Mail a password-reset link and render "check your e-mail" (the same for unknown addresses)', querystring: ResetQuery },
  }, async (request, reply) => {
    const client = await requireClient(services, request.query.clientID);
    if (client.config.disableStrategies.includes('password')) throw new AppError('login-method-disabled', 'this client does not accept passwords');
    // Not awaited: neither the page nor its timing may tell whether the address has an account.
    services.accounts.requestPasswordReset(request.query.email).catch((error) => request.log.error({ err: error }, 'password reset mail failed'));
    const ttl = formatDurationText(services.config.password.resetTokenTtl);
    return renderPage(reply, 200, html`<p class="ok">If an account uses ${request.query.email}, we have sent it a link to choose a new password.</p>
<p>Check your e-mail. The link works once and expires in ${ttl}.</p>
<p><a href="/auth/login?clientID=${encodeURIComponent(client.clientID)}">Back to log in</a></p>`, 'Check your e-mail');
  });

  app.post('/auth/change-email', {
    schema: {
      tags: ['auth'], summary: 'Change one’s e-mail: mails a link to the new address and a revert link to the old one',
      body: ChangeEmailBody, response: { 202: Type.Object({ pendingEmail: Type.String() }), ...errorResponses },
    },
  }, async (request, reply) => {
    const auth = requireAuth(request);
    return reply.code(202).send(await emailChanges.request(auth.accountId, request.body.email));
  });

  app.get('/auth/change-email/:token', {
    schema: { tags, summary: 'Follow an e-mail change link: makes the change, or reverts it and ends every session (HTML)', params: TokenParams },
  }, async (request, reply) => {
    try {
      const outcome = await emailChanges.follow(request.params.token);
      if (outcome.kind === 'changed') {
        return renderPage(reply, 200, html`<p class="ok">Your e-mail address is now ${outcome.email}.</p>`, 'E-mail address changed');
      }
      const restored = outcome.restored
        ? html`<p class="ok">The change was undone: your e-mail address is ${outcome.email} again.</p>`
        : html`<p class="error">The old address is now used by another account, so it could not be restored.</p>`;
      return renderPage(reply, 200, html`${restored}
<p>Every session of your account was signed out. If you did not ask for the change, choose a new password too.</p>`, 'E-mail change undone');
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      const message = error.code === 'conflict'
        ? 'This address is used by another account by now, so your e-mail address was not changed.'
        : 'This link is invalid, expired or was already used.';
      return renderPage(reply, error.status, html`<p class="error">${message}</p>`, 'E-mail change failed');
    }
  });
};

async function requireClient(services: Services, clientId: unknown): Promise<Client> {
  if (clientId === undefined || clientId === '') throw invalidField('clientID', 'is required');
  if (typeof clientId !== 'string' || clientId.length > 128) throw invalidField('clientID', 'must be one client id');
  const client = await findClient(services.database.db, clientId);
  if (!client) throw invalidField('clientID', 'is not a registered client');
  return client;
}

/** Why the page may not offer registration, if it may not: signup off, or the client refuses passwords. */
function registrationClosed(services: Services, client: Client): { status: number; message: SafeHtml } | null {
  if (!services.config.signup.enabled) return { status: 403, message: html`<p class="error">Registration is closed.</p>` };
  if (client.config.disableStrategies.includes('password')) {
    return { status: 403, message: html`<p class="error">Registration with a password is not available for this application.</p>` };
  }
  return null;
}

function isForm(request: FastifyRequest): boolean {
  return /application\/x-www-form-urlencoded/i.test(request.headers['content-type'] ?? '');
}

/** What the person typed (never the password), to fill the form in again. */
function bodyValues(body: unknown): { email?: string; invite?: string } {
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, 256) : undefined);
  return { email: text(record.email), invite: text(record.invite) };
}

interface FormState {
  detail?: string;
  errors?: FieldError[];
  email?: string;
  invite?: string;
}

const FORM_FIELDS = ['email', 'password', 'invite'];

function registerForm(services: Services, client: Client, state: FormState = {}): SafeHtml {
  const errors = state.errors ?? [];
  const fieldErrors = (field: string) => errors.filter((e) => e.field === field).map((e) => html`<span class="error">The ${labelOf(field)} ${e.message}.</span>`);
  const general = errors.length === 0 || errors.some((e) => !FORM_FIELDS.includes(e.field)) ? state.detail : undefined;
  const query = `clientID=${encodeURIComponent(client.clientID)}`;
  const invite = services.config.signup.inviteOnly
    ? html`<label>Invitation code <input name="invite" autocomplete="off" required value="${state.invite ?? ''}"></label>
${fieldErrors('invite')}`
    : '';
  return html`${general ? html`<p class="error">${general}</p>` : ''}
<form method="post" action="/auth/register?${query}">
<label>E-mail <input type="email" name="email" autocomplete="email" required value="${state.email ?? ''}"></label>
${fieldErrors('email')}
<label>Password <input type="password" name="password" autocomplete="new-password" required></label>
${fieldErrors('password')}
${invite}
<button type="submit">Create account</button>
</form>
<p>Already registered? <a href="/auth/login?${query}">Log in</a></p>`;
}

function labelOf(field: string): string {
  return field === 'invite' ? 'invitation code' : field === 'email' ? 'e-mail address' : field;
}

/** A page; with a client, its CSP lets the form's post end in the redirect to the client's callbackURL. */
function renderPage(reply: FastifyReply, status: number, body: SafeHtml, title = 'Create an account', client?: Client): FastifyReply {
  return reply.code(status).headers(client ? clientPageHeaders(client) : pageHeaders).send(page(title, body));
}
