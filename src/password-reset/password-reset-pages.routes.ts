import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { assertClientAccepts, requireClient } from '../clients/client-rules.js';
import { AppError, type FieldError } from '../http/errors.js';
import { toProblem } from '../http/problem.js';
import { Email } from '../http/schemas.js';
import { TokenParams } from '../http/token-link.js';
import { formTokenField, isFormPost, issueFormToken, requireFormToken } from '../pages/form-token.js';
import { addError, field, formErrors, passwordHint, translateFieldErrors, type FieldErrors } from '../pages/forms.js';
import type { PasswordPolicy } from '../passwords/policy.js';
import { formatDuration, pickLanguage, t, type Lang } from '../pages/i18n.js';
import { html, type SafeHtml } from '../pages/layout.js';
import { sendLinkFailure, sendPage } from '../pages/send-page.js';
import { hostedPageErrors } from '../pages/error-page.js';
import { onwardLink } from '../pages/onward.js';
import { emailFormInstead, resetRequestForm } from './reset-request-page.js';
import type { ClientDirectory } from '../clients/client-directory.js';
import type { Config } from '../config/index.js';
import type { FormTokenDeps } from '../pages/form-token.js';
import type { PasswordResetService } from './password-reset.service.js';

const tags = ['pages'];
const ResetQuery = Type.Object({ clientID: Type.Optional(Type.String({ maxLength: 128 })), email: Email });
const ResetForm = Type.Object({ password: Type.String(), passwordRepeat: Type.Optional(Type.String()) });
const passwordFields = ['password', 'passwordRepeat'];

/** What the reset pages use: the reset service, the client the page is for, and what form tokens are made from. */
export interface PasswordResetPageDeps {
  config: Config;
  passwordResets: PasswordResetService;
  clients: Pick<ClientDirectory, 'find'>;
  formTokens: FormTokenDeps;
}

/**
 * The reset's hosted pages (seed 000, CONTRACT §3): `GET /auth/password-reset?clientID=&email=` mails the link and
 * says "check your e-mail" (without `email`, a browser gets the form that asks for it), `/auth/password-reset/{token}`
 * is the form the link opens (a double-submit token guards it, pages/form-token.ts); English or German by Accept-Language.
 */
export const passwordResetPageRoutes: FastifyPluginAsync<PasswordResetPageDeps> = async (fastify, { config, passwordResets, clients, formTokens }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  // Form bodies are for hosted pages only; the JSON API refuses them (415), so a cross-site form cannot post to it.
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  const languageOf = (request: FastifyRequest) => pickLanguage(request.headers['accept-language']);
  const policyErrors = (lang: Lang, errors: FieldError[]) => translateFieldErrors(lang, errors, passwordFields, config.password.policy);

  const renderForm = (request: FastifyRequest, reply: FastifyReply, status: number, errors: FieldErrors = {}) => {
    const lang = languageOf(request);
    const token = issueFormToken(request, reply, formTokens);
    return sendPage(reply, lang, status, t(lang, 'reset.title'), resetForm(lang, token, config.password.policy, errors));
  };

  app.get('/auth/password-reset', {
    // A browser gets a page for every refusal (a missing or unknown client, say); API callers keep problem+json.
    errorHandler: hostedPageErrors,
    // A query without a valid e-mail reaches the handler, so a person gets the reset form (emailFormInstead).
    attachValidation: true,
    schema: {
      tags, summary: 'Mail a password-reset link and render "check your e-mail" (the same for unknown addresses); a browser without `email` gets the form',
      querystring: ResetQuery,
    },
  }, async (request, reply) => {
    const lang = languageOf(request);
    const invalid = request.validationError;
    const formInstead = invalid && emailFormInstead(request, invalid, config.password.policy, lang);
    if (invalid && !formInstead) throw invalid;
    const client = await requireClient(clients, request.query.clientID);
    assertClientAccepts(client, 'password');
    if (formInstead) {
      const typed = (request.query as Record<string, unknown>).email;
      const status = Object.keys(formInstead.errors).length ? 400 : 200;
      return sendPage(reply, lang, status, t(lang, 'forgot.title'), resetRequestForm(lang, client, formInstead.errors, typeof typed === 'string' ? typed.slice(0, 254) : undefined));
    }
    // Not awaited: neither the page nor its timing may tell whether the address has an account.
    passwordResets.request(request.query.email, client.clientID).catch((error) => request.log.error({ err: error }, 'password reset mail failed'));
    const ttl = formatDuration(lang, config.password.resetTokenTtl);
    return sendPage(reply, lang, 200, t(lang, 'checkEmail.title'), html`<p class="ok" role="status">${t(lang, 'checkEmail.sent', { email: request.query.email })}</p>
<p>${t(lang, 'checkEmail.expires', { ttl })}</p>
<p><a href="/auth/login?clientID=${encodeURIComponent(client.clientID)}">${t(lang, 'checkEmail.back')}</a></p>`);
  });

  app.get('/auth/password-reset/:token', { schema: { tags, summary: 'Password reset form (HTML)', params: TokenParams } }, async (request, reply) =>
    renderForm(request, reply, 200),
  );

  app.post('/auth/password-reset/:token', {
    preValidation: requireFormToken(formTokens, (request, reply) => renderForm(request, reply, 403, { form: [t(languageOf(request), 'form.expired')] })),
    // Validation errors reach the handler, so a person sees the form again with the reason next to the field.
    attachValidation: true,
    schema: { tags, summary: 'Set the new password (HTML form post)', params: TokenParams, body: ResetForm },
  }, async (request, reply) => {
    const lang = languageOf(request);
    const invalid = request.validationError as (Error & { validationContext?: string }) | undefined;
    if (invalid) {
      if (invalid.validationContext !== 'body' || !isFormPost(request)) throw invalid;
      return renderForm(request, reply, 400, policyErrors(lang, toProblem(invalid).problem.errors ?? []));
    }
    const { password, passwordRepeat } = request.body;
    if (passwordRepeat !== undefined && passwordRepeat !== password) {
      return renderForm(request, reply, 400, addError({}, 'passwordRepeat', t(lang, 'field.passwordRepeat.differs')));
    }
    try {
      const { clientID } = await passwordResets.reset(request.params.token, password);
      const client = clientID === null ? null : await clients.find(clientID);
      return sendPage(reply, lang, 200, t(lang, 'reset.doneTitle'), html`<p class="ok" role="status">${t(lang, 'reset.done')}</p>
${onwardLink(lang, client)}`);
    } catch (error) {
      if (error instanceof AppError && error.code === 'password-policy') return renderForm(request, reply, 400, policyErrors(lang, error.extra.errors ?? []));
      return sendLinkFailure(reply, lang, error, t(lang, 'reset.failedTitle'), t(lang, 'reset.invalid'));
    }
  });
};

function resetForm(lang: Lang, token: string, policy: PasswordPolicy, errors: FieldErrors): SafeHtml {
  // No action: the form posts back to the link it came from, token and all.
  return html`${formErrors(errors)}<form method="post">${formTokenField(token)}
${field('password', t(lang, 'reset.password'), { type: 'password', autocomplete: 'new-password', errors: errors.password, hint: passwordHint(lang, policy) })}
${field('passwordRepeat', t(lang, 'reset.repeat'), { type: 'password', autocomplete: 'new-password', errors: errors.passwordRepeat })}
<button type="submit">${t(lang, 'reset.submit')}</button>
</form>`;
}
