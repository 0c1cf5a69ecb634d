import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { Email, errorResponses } from '../auth/api-auth.schemas.js';
import { assertClientAccepts, requireClient } from '../clients/client-rules.js';
import { requireAuth } from '../http/authenticate.js';
import { AppError } from '../http/errors.js';
import type { Services } from '../services.js';
import { formatDuration, pickLanguage, t, type Lang } from './i18n.js';
import { html, page, pageHeaders, type SafeHtml } from './layout.js';

const tags = ['pages'];
const EmailQuery = Type.Object({ email: Email });
const ResetQuery = Type.Object({ clientID: Type.Optional(Type.String({ maxLength: 128 })), email: Email });
const ChangeEmailBody = Type.Object({ email: Email }, { additionalProperties: false });
const TokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 512 }) });

/**
 * The hosted registration's neighbours (the registration itself is a way in: sign-in/signup-page.routes.ts):
 * `GET /auth/email-available`,
 * `GET /auth/password-reset?clientID=&email=` ("check your e-mail"), and the e-mail change —
 * `POST /auth/change-email` plus the page its e-mailed links open, `GET /auth/change-email/{token}`.
 */
export const signupRoutes: FastifyPluginAsync<{ services: Services }> = async (fastify, { services }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { emailChanges } = services;

  app.get('/auth/email-available', {
    schema: { tags: ['auth'], summary: 'Whether an e-mail address can still be registered', querystring: EmailQuery, response: { 200: Type.Object({ available: Type.Boolean() }), ...errorResponses } },
  }, async (request, reply) => reply.header('cache-control', 'no-store').send({ available: await emailChanges.isAvailable(request.query.email) }));

  app.get('/auth/password-reset', {
    schema: { tags, summary: 'Mail a password-reset link and render "check your e-mail" (the same for unknown addresses)', querystring: ResetQuery },
  }, async (request, reply) => {
    const client = await requireClient(services, request.query.clientID);
    assertClientAccepts(client, 'password');
    // Not awaited: neither the page nor its timing may tell whether the address has an account.
    services.accounts.requestPasswordReset(request.query.email).catch((error) => request.log.error({ err: error }, 'password reset mail failed'));
    const lang = pickLanguage(request.headers['accept-language']);
    const ttl = formatDuration(lang, services.config.password.resetTokenTtl);
    return renderPage(reply, lang, 200, html`<p class="ok" role="status">${t(lang, 'checkEmail.sent', { email: request.query.email })}</p>
<p>${t(lang, 'checkEmail.expires', { ttl })}</p>
<p><a href="/auth/login?clientID=${encodeURIComponent(client.clientID)}">${t(lang, 'checkEmail.back')}</a></p>`, t(lang, 'checkEmail.title'));
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
    const lang = pickLanguage(request.headers['accept-language']);
    try {
      const outcome = await emailChanges.follow(request.params.token);
      if (outcome.kind === 'changed') {
        return renderPage(reply, lang, 200, html`<p class="ok" role="status">${t(lang, 'changeEmail.done', { email: outcome.email })}</p>`, t(lang, 'changeEmail.title'));
      }
      const restored = outcome.restored
        ? html`<p class="ok" role="status">${t(lang, 'changeEmail.restored', { email: outcome.email })}</p>`
        : html`<p class="error" role="alert">${t(lang, 'changeEmail.notRestored')}</p>`;
      return renderPage(reply, lang, 200, html`${restored}
<p>${t(lang, 'changeEmail.signedOut')}</p>`, t(lang, 'changeEmail.revertedTitle'));
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      const message = t(lang, error.code === 'conflict' ? 'changeEmail.conflict' : 'changeEmail.invalid');
      return renderPage(reply, lang, error.status, html`<p class="error" role="alert">${message}</p>`, t(lang, 'changeEmail.failedTitle'));
    }
  });
};

/** A page of this plugin. */
function renderPage(reply: FastifyReply, lang: Lang, status: number, body: SafeHtml, title: string): FastifyReply {
  return reply.code(status).headers(pageHeaders).send(page(title, body, lang));
}
