import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { requireAuth } from '../http/authenticate.js';
import { AppError } from '../http/errors.js';
import { errorResponses } from '../http/schemas.js';
import { TokenParams } from '../http/token-link.js';
import { pickLanguage, t, type Lang } from '../pages/i18n.js';
import { html } from '../pages/layout.js';
import { onwardLink } from '../pages/onward.js';
import { sendPage } from '../pages/send-page.js';
import { ChangeEmailBody, PendingEmail } from './email-change.schemas.js';
import type { EmailChangeOutcome, EmailChangeService } from './email-change.service.js';

/**
 * The e-mail change (seed 000 "Auth/Change-Email"): `POST /auth/change-email` and the page its e-mailed links open,
 * `GET /auth/change-email/{token}`; why together: the request and the link it mails are one capability.
 */
export const emailChangeRoutes: FastifyPluginAsync<{ emailChanges: EmailChangeService }> = async (fastify, { emailChanges }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/auth/change-email', {
    schema: {
      tags: ['auth'], summary: 'Change one’s e-mail: mails a link to the new address and a revert link to the old one',
      body: ChangeEmailBody, response: { 202: PendingEmail, ...errorResponses },
    },
  }, async (request, reply) => {
    const auth = requireAuth(request);
    const { email, ...proof } = request.body;
    return reply.code(202).send(await emailChanges.request(auth.accountId, email, { ...proof, inetAddress: request.ip }));
  });

  app.get('/auth/change-email/:token', {
    schema: { tags: ['pages'], summary: 'Follow an e-mail change link: makes the change, or reverts it and ends every session (HTML)', params: TokenParams },
  }, async (request, reply) => {
    const lang = pickLanguage(request.headers['accept-language']);
    try {
      const outcome = await emailChanges.follow(request.params.token);
      return sendPage(reply, lang, 200, t(lang, outcome.kind === 'changed' ? 'changeEmail.title' : 'changeEmail.revertedTitle'), outcomeBody(lang, outcome));
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      const message = t(lang, error.code === 'conflict' ? 'changeEmail.conflict' : 'changeEmail.invalid');
      return sendPage(reply, lang, error.status, t(lang, 'changeEmail.failedTitle'), html`<p class="error" role="alert">${message}</p>`);
    }
  });
};

/**
 * What the person reads after following a link: the change made, or the revert and the ended sessions; then the way on
 * to the account page (an e-mail change is asked for by a signed-in account, through no client).
 */
function outcomeBody(lang: Lang, outcome: EmailChangeOutcome) {
  if (outcome.kind === 'changed') return html`<p class="ok" role="status">${t(lang, 'changeEmail.done', { email: outcome.email })}</p>
${onwardLink(lang, null)}`;
  const restored = outcome.restored
    ? html`<p class="ok" role="status">${t(lang, 'changeEmail.restored', { email: outcome.email })}</p>`
    : html`<p class="error" role="alert">${t(lang, 'changeEmail.notRestored')}</p>`;
  return html`${restored}
<p>${t(lang, 'changeEmail.signedOut')}</p>
${onwardLink(lang, null)}`;
}
