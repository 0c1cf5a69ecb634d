import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AccountService } from '../accounts/account.service.js';
import type { ClientDirectory } from '../clients/client-directory.js';
import type { Client } from '../clients/client.repository.js';
import { requireClient } from '../clients/client-rules.js';
import type { Config } from '../config/index.js';
import type { AccountRow } from '../db/types.js';
import { clientInfo } from '../http/authenticate.js';
import { AppError } from '../http/errors.js';
import { toProblem } from '../http/problem.js';
import { Email } from '../http/schemas.js';
import { TokenParams } from '../http/token-link.js';
import { hostedPageErrors } from '../pages/error-page.js';
import { isFormPost, issueFormToken, requireFormToken, type FormTokenDeps } from '../pages/form-token.js';
import { translateFieldErrors, type FieldErrors } from '../pages/forms.js';
import { formatDuration, pickLanguage, t } from '../pages/i18n.js';
import { html } from '../pages/layout.js';
import { onwardLink } from '../pages/onward.js';
import { sendLinkFailure, sendPage } from '../pages/send-page.js';
import { resendConfirmationPage, resendSentPage } from './confirmation-pages.js';
import { sendToClient } from './delivery.js';
import type { SignIn } from './pipeline.js';

const tags = ['pages'];
const ClientQuery = Type.Object({ clientID: Type.Optional(Type.String({ maxLength: 128 })) });
const ResendForm = Type.Object({ email: Email }, { additionalProperties: false });

/** What the confirmation pages use: accounts to confirm and resend, the client a link leads back to, and the sign-in. */
export interface ConfirmationPageDeps {
  config: Config;
  clients: Pick<ClientDirectory, 'find'>;
  signIn: SignIn;
  accounts: Pick<AccountService, 'confirmLink' | 'resendConfirmation'>;
  formTokens: FormTokenDeps;
}

/**
 * The confirmation's hosted pages: `GET /auth/confirm/{token}` (CONTRACT §3), the page the e-mailed link opens, and
 * `GET|POST /auth/confirmation`, where a person asks for a new link (the hosted twin of `POST
 * /api/auth/account/confirmation`, sharing its rate limit). Why in sign-in/: with `signup.tokenBeforeConfirmation:
 * false` the link is how a hosted registration's sign-in ends — it delivers the token to the client.
 */
export const confirmationPageRoutes: FastifyPluginAsync<ConfirmationPageDeps> = async (fastify, deps) => {
  const { config, clients, accounts, formTokens } = deps;
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  // Form bodies for the resend form only; the JSON API next door keeps refusing them (415).
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  const languageOf = (request: FastifyRequest) => pickLanguage(request.headers['accept-language']);
  const optionalClient = async (clientID: unknown): Promise<Client | null> => (clientID === undefined ? null : requireClient(clients, clientID));

  const renderResend = async (request: FastifyRequest, reply: FastifyReply, status: number, errors: FieldErrors = {}, typed?: string) => {
    const lang = languageOf(request);
    const client = await optionalClient((request.query as Record<string, unknown>).clientID);
    const token = issueFormToken(request, reply, formTokens);
    return sendPage(reply, lang, status, t(lang, 'resend.title'), resendConfirmationPage(lang, client, token, errors, typed));
  };

  app.get('/auth/confirm/:token', {
    errorHandler: hostedPageErrors,
    schema: { tags, summary: 'Confirm an e-mail address (HTML); with signup.tokenBeforeConfirmation false, deliver the token to the client', params: TokenParams },
  }, async (request, reply) => {
    const lang = languageOf(request);
    let confirmed: Awaited<ReturnType<AccountService['confirmLink']>>;
    try {
      confirmed = await accounts.confirmLink(request.params.token);
    } catch (error) {
      return sendLinkFailure(reply, lang, error, t(lang, 'confirm.failedTitle'), t(lang, 'confirm.invalid'));
    }
    const client = confirmed.clientID === null ? null : ((await clients.find(confirmed.clientID)) ?? null);
    if (client && confirmed.firstConfirmation && !config.signup.tokenBeforeConfirmation) {
      const delivered = await deliverAfterConfirmation(deps, request, reply, client, confirmed.account);
      if (delivered) return delivered;
    }
    return sendPage(reply, lang, 200, t(lang, 'confirm.title'), html`<p class="ok" role="status">${t(lang, 'confirm.done', { username: confirmed.account.username })}</p>
${onwardLink(lang, client)}`);
  });

  app.get('/auth/confirmation', {
    errorHandler: hostedPageErrors,
    schema: { tags, summary: 'Form asking for a new confirmation link (HTML)', querystring: ClientQuery },
  }, async (request, reply) => renderResend(request, reply, 200));

  app.post('/auth/confirmation', {
    errorHandler: hostedPageErrors,
    preValidation: requireFormToken(formTokens, (request, reply) => renderResend(request, reply, 403, { form: [t(languageOf(request), 'form.expired')] })),
    // Validation errors reach the handler, so a person sees the form again with the reason next to the field.
    attachValidation: true,
    schema: { tags, summary: 'Mail a new confirmation link (form); the same page whether or not an account was found', querystring: ClientQuery, body: ResendForm },
  }, async (request, reply) => {
    const lang = languageOf(request);
    const invalid = request.validationError as (Error & { validationContext?: string }) | undefined;
    if (invalid) {
      if (invalid.validationContext !== 'body' || !isFormPost(request)) throw invalid;
      const errors = translateFieldErrors(lang, toProblem(invalid).problem.errors ?? [], ['email'], config.password.policy);
      const typed = (request.body as Record<string, unknown> | undefined)?.email;
      return renderResend(request, reply, 400, errors, typeof typed === 'string' ? typed.slice(0, 254) : undefined);
    }
    const client = await optionalClient(request.query.clientID);
    // Not awaited: neither the page nor its timing may tell whether the address has an unconfirmed account.
    accounts.resendConfirmation(request.body.email, client?.clientID ?? null).catch((error) => request.log.error({ err: error }, 'confirmation mail failed'));
    const ttl = formatDuration(lang, config.signup.confirmationTokenTtl);
    return sendPage(reply, lang, 200, t(lang, 'resend.sentTitle'), resendSentPage(lang, client, request.body.email, ttl));
  });
};

/**
 * `signup.tokenBeforeConfirmation: false`: the link finishes the hosted registration's sign-in — the same pipeline,
 * with the account the registration made as its proof, delivering to the client as a login does. Null (the plain
 * "confirmed" page instead) when the client takes tokens only in a JSON body, which a followed link cannot receive,
 * or when the pipeline refuses (the client no longer accepts passwords, say): the account is confirmed either way.
 */
async function deliverAfterConfirmation(
  deps: ConfirmationPageDeps, request: FastifyRequest, reply: FastifyReply, client: Client, account: AccountRow,
): Promise<FastifyReply | null> {
  if (!client.config.tokenMethod.some((method) => method !== 'body')) return null;
  try {
    const signedIn = await deps.signIn.run({
      proof: { kind: 'new-account', strategy: 'password', create: async () => account }, plan: { kind: 'client', client }, client, info: clientInfo(request),
    });
    return sendToClient(request, reply, deps.config, signedIn);
  } catch (error) {
    if (!(error instanceof AppError) || error.status >= 500) throw error;
    request.log.info({ code: error.code, clientID: client.clientID }, 'confirmation link: no token delivered');
    return null;
  }
}
