import formbody from '@fastify/formbody';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../http/errors.js';
import type { Services } from '../services.js';
import { html, page, pageHeaders } from './layout.js';

const TokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 512 }) });
const ResetForm = Type.Object({ password: Type.String(), passwordRepeat: Type.Optional(Type.String()) });
const tags = ['pages'];

/** The pages e-mailed links open (CONTRACT §3): `/auth/confirm/{token}` and `/auth/password-reset/{token}`. */
export const tokenPageRoutes: FastifyPluginAsync<{ services: Services }> = async (fastify, { services }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  // Form bodies are for hosted pages only; the JSON API refuses them (415), so a cross-site form cannot post to it.
  await app.register(formbody, { bodyLimit: 16 * 1024 });

  app.get('/auth/confirm/:token', { schema: { tags, summary: 'Confirm an e-mail address (HTML)', params: TokenParams } }, async (request, reply) => {
    try {
      const account = await services.accounts.confirm(request.params.token);
      return render(reply, 200, 'E-mail confirmed', html`<p class="ok">Thank you, ${account.username}. Your e-mail address is confirmed; you can log in now.</p>`);
    } catch (error) {
      return renderFailure(reply, error, 'Confirmation failed', 'This confirmation link is invalid, expired or was already used.');
    }
  });

  app.get('/auth/password-reset/:token', { schema: { tags, summary: 'Password reset form (HTML)', params: TokenParams } }, async (_request, reply) =>
    render(reply, 200, 'Choose a new password', resetForm()),
  );

  app.post('/auth/password-reset/:token', {
    schema: { tags, summary: 'Set the new password (HTML form post)', params: TokenParams, body: ResetForm },
  }, async (request, reply) => {
    const { password, passwordRepeat } = request.body;
    if (passwordRepeat !== undefined && passwordRepeat !== password) {
      return render(reply, 400, 'Choose a new password', resetForm(['The two passwords differ.']));
    }
    try {
      await services.accounts.resetPassword(request.params.token, password);
      return render(reply, 200, 'Password changed', html`<p class="ok">Your password was changed and every session was signed out. You can log in with the new password.</p>`);
    } catch (error) {
      if (error instanceof AppError && error.code === 'password-policy') {
        return render(reply, 400, 'Choose a new password', resetForm((error.extra.errors ?? []).map((e) => `The password ${e.message}.`)));
      }
      return renderFailure(reply, error, 'Password reset failed', 'This reset link is invalid, expired or was already used.');
    }
  });
};

function resetForm(errors: string[] = []) {
  return html`${errors.map((e) => html`<p class="error">${e}</p>`)}
<form method="post">
<label>New password <input type="password" name="password" autocomplete="new-password" required></label>
<label>Repeat it <input type="password" name="passwordRepeat" autocomplete="new-password" required></label>
<button type="submit">Set password</button>
</form>`;
}

function render(reply: FastifyReply, status: number, title: string, body: ReturnType<typeof html>): FastifyReply {
  return reply.code(status).headers(pageHeaders).send(page(title, body));
}

function renderFailure(reply: FastifyReply, error: unknown, title: string, message: string): FastifyReply {
  if (!(error instanceof AppError) || error.status >= 500) throw error;
  return render(reply, 400, title, html`<p class="error">${message}</p>`);
}
