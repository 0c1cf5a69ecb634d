import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { TokenParams } from '../http/token-link.js';
import { pickLanguage, t } from '../pages/i18n.js';
import { html } from '../pages/layout.js';
import { sendLinkFailure, sendPage } from '../pages/send-page.js';
import type { AccountService } from './account.service.js';

/** `GET /auth/confirm/{token}` (CONTRACT §3): the page a registration's confirmation link opens; why here: confirming is the account's own rule. */
export const accountConfirmationRoutes: FastifyPluginAsync<{ accounts: AccountService }> = async (fastify, { accounts }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/auth/confirm/:token', { schema: { tags: ['pages'], summary: 'Confirm an e-mail address (HTML)', params: TokenParams } }, async (request, reply) => {
    const lang = pickLanguage(request.headers['accept-language']);
    try {
      const account = await accounts.confirm(request.params.token);
      return sendPage(reply, lang, 200, t(lang, 'confirm.title'), html`<p class="ok" role="status">${t(lang, 'confirm.done', { username: account.username })}</p>`);
    } catch (error) {
      return sendLinkFailure(reply, lang, error, t(lang, 'confirm.failedTitle'), t(lang, 'confirm.invalid'));
    }
  });
};
