import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Client } from '../clients/client.repository.js';
import { requireClient } from '../clients/client-rules.js';
import { clientInfo } from '../http/authenticate.js';
import { toProblem } from '../http/problem.js';
import type { SecondFactors } from '../mfa/second-factors.js';
import { hostedPageErrors } from '../pages/error-page.js';
import { requireLoginCsrf } from '../pages/form-token.js';
import { pickLanguage, t, type MessageKey } from '../pages/i18n.js';
import { SecondStepFormBody } from '../pages/second-step-form.js';
import type { Handover, SignedIn } from './attempt.js';
import { sendToClient } from './delivery.js';
import { HostedClientQuery, interactionOf, type HostedFormDeps } from './hosted-client.js';
import { answerOfForm, finishSecondStep, type SecondStepDeps } from './second-step.js';
import { renderSecondStep, SECOND_STEP_PATH } from './second-step-page.js';

const ClientQuery = HostedClientQuery;

/** What the hosted second step uses: the hosted form's parts, and the second factors (to show the page again). */
export interface SecondStepPageDeps extends HostedFormDeps, SecondStepDeps {
  factors: Pick<SecondFactors, 'pending' | 'methodsOf'>;
}

/**
 * `POST /auth/login/mfa?clientID=`: the hosted login's second page posts here (CONTRACT §5). A right code finishes the
 * parked sign-in and delivers the token to the client, as the first page would have; a wrong one shows the page again.
 * Only a sign-in started on this client's login page is finished here.
 */
export const secondStepPageRoutes: FastifyPluginAsync<SecondStepPageDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  await app.register(formbody, { bodyLimit: 16 * 1024 });

  /** The second page again while its sign-in is still open, else a page sending the person back to the first. */
  const showAgain = async (request: FastifyRequest, reply: FastifyReply, client: Client, status: number, message: MessageKey) => {
    const lang = pickLanguage(request.headers['accept-language']);
    const mfaToken = String((request.body as Record<string, unknown> | undefined)?.mfaToken ?? '');
    const open = message === 'mfa.wrong' || message === 'passkey.wrong';
    const pending = open ? await deps.factors.pending.find(mfaToken) : undefined;
    const methods = pending ? await deps.factors.methodsOf(pending.accountId) : [];
    const shown: MessageKey = pending || !open ? message : 'mfa.expired';
    return renderSecondStep(request, reply, deps.loginCsrf, client, interactionOf(request), status, { mfaToken, methods, errors: { form: [t(lang, shown)] } });
  };

  app.post(SECOND_STEP_PATH, {
    preValidation: requireLoginCsrf(deps.loginCsrf, async (request, reply) => {
      const client = await requireClient(deps.clients, (request.query as Record<string, unknown>).clientID);
      return showAgain(request, reply, client, 403, 'form.expired');
    }),
    attachValidation: true,
    // An unknown client and the like: a page for a browser, problem+json for others (issue 16).
    errorHandler: hostedPageErrors,
    schema: { tags: ['pages'], summary: 'The hosted login’s second step: a TOTP or recovery code, or a passkey', querystring: ClientQuery, body: SecondStepFormBody },
  }, async (request, reply) => {
    const client = await requireClient(deps.clients, request.query.clientID);
    const wrong: MessageKey = (request.body as { method?: unknown } | undefined)?.method === 'webauthn' ? 'passkey.wrong' : 'mfa.wrong';
    if (request.validationError) return showAgain(request, reply, client, 400, wrong);
    const ours = (plan: { kind: string; client?: Client }) => plan.kind === 'client' && plan.client?.clientID === client.clientID;
    try {
      const signedIn = await finishSecondStep(deps, answerOfForm(request.body), clientInfo(request), ours);
      return sendToClient(request, reply, deps.config, signedIn as SignedIn<Extract<Handover, { kind: 'client' }>>);
    } catch (error) {
      const { problem } = toProblem(error);
      if (problem.status >= 500) throw error;
      if (problem.code === 'invalid-mfa-code') return showAgain(request, reply, client, 401, wrong);
      if (problem.code === 'invalid-request') return showAgain(request, reply, client, 400, wrong);
      if (problem.code === 'account-locked' || problem.code === 'rate-limited') return showAgain(request, reply, client, 429, 'login.locked');
      return showAgain(request, reply, client, problem.status, 'mfa.expired');
    }
  });
};
