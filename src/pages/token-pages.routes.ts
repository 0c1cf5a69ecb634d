import formbody from '@fastify/formbody';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../http/errors.js';
import { toProblem } from '../http/problem.js';
import type { Services } from '../services.js';
import { formTokenField, isFormPost, issueFormToken, requireFormToken } from './form-token.js';
import { addError, field, formErrors, translateFieldErrors, type FieldErrors } from './forms.js';
import { pickLanguage, t, type Lang } from './i18n.js';
import { html, page, pageHeaders, type SafeHtml } from './layout.js';

const TokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 512 }) });
const ResetForm = Type.Object({ password: Type.String(), passwordRepeat: Type.Optional(Type.String()) });
const tags = ['pages'];

/**
 * The pages e-mailed links open (CONTRACT §3): `/auth/confirm/{token}` and `/auth/password-reset/{token}`, in
 * English or German by Accept-Language. The reset form carries a double-submit token (form-token.ts).
 */
export const tokenPageRoutes: FastifyPluginAsync<{ services: Services }> = async (fastify, { services }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  // Form bodies are for hosted pages only; the JSON API refuses them (415), so a cross-site form cannot post to it.
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  const languageOf = (request: FastifyRequest) => pickLanguage(request.headers['accept-language']);

  const renderForm = (request: FastifyRequest, reply: FastifyReply, status: number, errors: FieldErrors = {}) => {
    const lang = languageOf(request);
    const token = issueFormToken(request, reply, services);
    return render(reply, lang, status, t(lang, 'reset.title'), resetForm(lang, token, services.config.password.policy.minLength, errors));
  };

  app.get('/auth/confirm/:token', { schema: { tags, summary: 'Confirm an e-mail address (HTML)', params: TokenParams } }, async (request, reply) => {
    const lang = languageOf(request);
    try {
      const account = await services.accounts.confirm(request.params.token);
      return render(reply, lang, 200, t(lang, 'confirm.title'), html`<p class="ok" role="status">${t(lang, 'confirm.done', { username: account.username })}</p>`);
    } catch (error) {
      return renderFailure(reply, lang, error, t(lang, 'confirm.failedTitle'), t(lang, 'confirm.invalid'));
    }
  });

  app.get('/auth/password-reset/:token', { schema: { tags, summary: 'Password reset form (HTML)', params: TokenParams } }, async (request, reply) =>
    renderForm(request, reply, 200),
  );

  app.post('/auth/password-reset/:token', {
    preValidation: requireFormToken(services, (request, reply) => renderForm(request, reply, 403, { form: [t(languageOf(request), 'form.expired')] })),
    // Validation errors reach the handler, so a person sees the form again with the reason next to the field.
    attachValidation: true,
    schema: { tags, summary: 'Set the new password (HTML form post)', params: TokenParams, body: ResetForm },
  }, async (request, reply) => {
    const lang = languageOf(request);
    const invalid = request.validationError as (Error & { validationContext?: string }) | undefined;
    if (invalid) {
      if (invalid.validationContext !== 'body' || !isFormPost(request)) throw invalid;
      const { problem } = toProblem(invalid);
      return renderForm(request, reply, 400, translateFieldErrors(lang, problem.errors ?? [], ['password', 'passwordRepeat'], services.config.password.policy));
    }
    const { password, passwordRepeat } = request.body;
    if (passwordRepeat !== undefined && passwordRepeat !== password) {
      return renderForm(request, reply, 400, addError({}, 'passwordRepeat', t(lang, 'field.passwordRepeat.differs')));
    }
    try {
      await services.accounts.resetPassword(request.params.token, password);
      return render(reply, lang, 200, t(lang, 'reset.doneTitle'), html`<p class="ok" role="status">${t(lang, 'reset.done')}</p>`);
    } catch (error) {
      if (error instanceof AppError && error.code === 'password-policy') {
        return renderForm(request, reply, 400, translateFieldErrors(lang, error.extra.errors ?? [], ['password', 'passwordRepeat'], services.config.password.policy));
      }
      return renderFailure(reply, lang, error, t(lang, 'reset.failedTitle'), t(lang, 'reset.invalid'));
    }
  });
};

function resetForm(lang: Lang, token: string, minLength: number, errors: FieldErrors): SafeHtml {
  // No action: the form posts back to the link it came from, token and all.
  return html`${formErrors(errors)}<form method="post">${formTokenField(token)}
${field('password', t(lang, 'reset.password'), { type: 'password', autocomplete: 'new-password', errors: errors.password, hint: t(lang, 'password.hint', { min: minLength }) })}
${field('passwordRepeat', t(lang, 'reset.repeat'), { type: 'password', autocomplete: 'new-password', errors: errors.passwordRepeat })}
<button type="submit">${t(lang, 'reset.submit')}</button>
</form>`;
}

function render(reply: FastifyReply, lang: Lang, status: number, title: string, body: SafeHtml): FastifyReply {
  return reply.code(status).headers(pageHeaders).send(page(title, body, lang));
}

function renderFailure(reply: FastifyReply, lang: Lang, error: unknown, title: string, message: string): FastifyReply {
  if (!(error instanceof AppError) || error.status >= 500) throw error;
  return render(reply, lang, 400, title, html`<p class="error" role="alert">${message}</p>`);
}
