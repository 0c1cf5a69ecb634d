import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Client } from '../clients/client.repository.js';
import { issueFormToken, type LoginCsrfDeps } from '../pages/form-token.js';
import { pickLanguage, t } from '../pages/i18n.js';
import { page } from '../pages/layout.js';
import { secondStepForm, type SecondStepState } from '../pages/second-step-form.js';
import { clientPageHeaders } from './hosted-client.js';

/** Where the hosted login's second page posts its code. */
export const SECOND_STEP_PATH = '/auth/login/mfa';

/** The hosted login's second page (CONTRACT §5), for a client: its form posts to SECOND_STEP_PATH. */
export function renderSecondStep(
  request: FastifyRequest, reply: FastifyReply, loginCsrf: LoginCsrfDeps, client: Client, status: number, state: SecondStepState,
): FastifyReply {
  const lang = pickLanguage(request.headers['accept-language']);
  const formToken = issueFormToken(request, reply, loginCsrf);
  const query = `clientID=${encodeURIComponent(client.clientID)}`;
  const body = secondStepForm(lang, `${SECOND_STEP_PATH}?${query}`, formToken, state, `/auth/login?${query}`);
  return reply.code(status).headers(clientPageHeaders(client)).send(page(t(lang, 'mfa.title'), body, lang));
}
