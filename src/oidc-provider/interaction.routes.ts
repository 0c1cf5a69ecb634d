import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { errors, type InteractionResults } from 'oidc-provider';
import { Type } from 'typebox';
import type { ClientDirectory } from '../clients/client-directory.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import { AppError } from '../http/errors.js';
import { requireFormToken, type LoginCsrfDeps } from '../pages/form-token.js';
import { hostedPageErrors } from '../pages/error-page.js';
import { sendLandingPage } from '../providers/landing-page.js';
import type { SessionService } from '../sessions/session.service.js';
import { isPrefillableLogin } from '../sign-in/hosted-client.js';
import { INTERACTION_PATH, INTERACTION_UID_PATTERN, interactionUrl } from '../sign-in/interaction-return.js';
import type { RecordStore } from './adapter.js';
import { renderConsent } from './consent-page.js';
import { askForSecondFactor, canStepUp, type StepUpDeps } from '../sign-in/step-up.js';
import { acrOutcome, acrRequestOf } from './acr.js';
import { grantRequested, loginOfSession, type Interaction } from './interaction.js';
import type { ProviderHolder } from './mount.js';

export interface InteractionDeps {
  config: Config;
  /** Where the provider's records live: the consent step binds the grant it makes. */
  records: Pick<RecordStore, 'bindGrant'>;
  holder: ProviderHolder;
  clients: Pick<ClientDirectory, 'find'>;
  sessions: Pick<SessionService, 'find'>;
  loginCsrf: LoginCsrfDeps;
  clock: Clock;
  /** Asking a single-factor session for its second factor when the request wants the multi-factor class. */
  stepUp: StepUpDeps;
}

const Params = Type.Object({ uid: Type.String({ pattern: INTERACTION_UID_PATTERN }) });
const Query = Type.Object({ seen: Type.Optional(Type.Literal('1')) });
const ConsentForm = Type.Object({ decision: Type.Union([Type.Literal('allow'), Type.Literal('deny')]) });

/**
 * The provider's interactions on our own pages (CONTRACT §5): the login is the hosted login with everything it offers,
 * and a signed-in Gatehouse browser session is single sign-on for every app; the consent page lists the scopes.
 * Every decision the provider leaves to us is made here, from its interaction record (bound to the browser by its
 * own cookie), never from what the URL says.
 */
export const interactionRoutes: FastifyPluginAsync<InteractionDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  const detailsOf = async (request: FastifyRequest, reply: FastifyReply) => {
    const { provider } = await deps.holder.current();
    const details = await provider.interactionDetails(request.raw, reply.raw).catch(interactionOver);
    return { provider, interaction: details as unknown as Interaction };
  };
  const finish = async (request: FastifyRequest, reply: FastifyReply, result: InteractionResults) => {
    const { provider } = await deps.holder.current();
    reply.hijack();
    await provider.interactionFinished(request.raw, reply.raw, result, { mergeWithLastSubmission: false });
    return reply;
  };

  app.get(`${INTERACTION_PATH}/:uid`, {
    errorHandler: hostedPageErrors,
    schema: { tags: ['pages'], summary: 'An OpenID sign-in in progress: the login or the consent it needs', params: Params, querystring: Query },
  }, async (request, reply) => {
    const { interaction } = await detailsOf(request, reply);
    if (interaction.prompt.name === 'login') return login(request, reply, interaction);
    if (interaction.prompt.name === 'consent') return consent(request, reply, interaction);
    throw new AppError('invalid-request', `interaction: unknown prompt ${interaction.prompt.name}`);
  });

  /** The person's Gatehouse session signs them in when the request allows it; otherwise the hosted login does. */
  const login = async (request: FastifyRequest, reply: FastifyReply, interaction: Interaction) => {
    const cookie = request.auth?.kind === 'cookie' ? request.auth : null;
    // The provider's redirect continues a navigation another site started: the SameSite=Strict auth cookie stays
    // home on it. One hop from a page of our own brings it along (providers/landing-page.ts).
    if (!cookie && (request.query as { seen?: string }).seen !== '1') return sendLandingPage(request, reply, `${interactionUrl(deps.config.server.baseUrl, interaction.uid)}?seen=1`);
    const session = cookie ? await deps.sessions.find(cookie.sessionId) : undefined;
    const result = session && loginOfSession(interaction, session, deps.clock.now());
    if (!session || !result) return reply.redirect(hostedLoginUrl(interaction), 303);
    // The class the session reached against the one asked for (acr.ts): as it is, a second factor first, or refused.
    const outcome = await acrOutcome(acrRequestOf(interaction.params), result.login.acr, () => canStepUp(deps.stepUp, session.account_id));
    if (outcome === 'as-is') return finish(request, reply, result);
    if (outcome === 'unmet') return finish(request, reply, { error: 'unmet_authentication_requirements', error_description: 'the authentication class the request made essential (claims acr) could not be reached' });
    const client = await deps.clients.find(interaction.params.client_id);
    if (!client) throw new AppError('invalid-request', 'client_id: not a registered client');
    return askForSecondFactor(deps.stepUp, request, reply, session, client, interaction.uid);
  };

  /** First-party clients (and `oidc.consent: implicit`) are granted what they ask; others ask the person. */
  const consent = async (request: FastifyRequest, reply: FastifyReply, interaction: Interaction) => {
    const client = await deps.clients.find(interaction.params.client_id);
    if (!client?.oidc) throw new AppError('invalid-request', 'client_id: not an OpenID client');
    if (client.oidc.firstParty || deps.config.oidc.consent === 'implicit') return grant(request, reply, interaction);
    return renderConsent(request, reply, deps.loginCsrf, client, interaction, 200);
  };

  const grant = async (request: FastifyRequest, reply: FastifyReply, interaction: Interaction) => {
    const { provider } = await deps.holder.current();
    const grantId = await grantRequested(provider, interaction);
    // Why after saving: the consent step runs outside the provider's request (no `Provider.ctx`), so the adapter cannot
    // know the Gatehouse session; codes and tokens of the grant then take the binding from it.
    await deps.records.bindGrant(grantId, interaction.session!.uid);
    return finish(request, reply, { consent: { grantId } });
  };

  app.post(`${INTERACTION_PATH}/:uid/consent`, {
    errorHandler: hostedPageErrors,
    preValidation: requireFormToken(deps.loginCsrf, () => { throw new AppError('forbidden', 'the consent form expired; start the sign-in again'); }),
    schema: { tags: ['pages'], summary: 'Allow or deny what an app asks for (the consent page)', params: Params, body: ConsentForm },
  }, async (request, reply) => {
    const { interaction } = await detailsOf(request, reply);
    if (interaction.uid !== request.params.uid || interaction.prompt.name !== 'consent') throw new AppError('invalid-request', 'uid: this sign-in is not asking for consent');
    if (request.body.decision === 'deny') return finish(request, reply, { error: 'access_denied', error_description: 'the person did not allow it' });
    return grant(request, reply, interaction);
  });
};

/**
 * The hosted login of the interaction's client, told to come back here; `login_hint` fills in the e-mail — when it is
 * one the login form takes (sign-in/hosted-client.ts), since an overlong or unprintable hint must not cost the login.
 */
function hostedLoginUrl(interaction: Interaction): string {
  const query = new URLSearchParams({ clientID: interaction.params.client_id, interaction: interaction.uid });
  if (isPrefillableLogin(interaction.params.login_hint)) query.set('email', interaction.params.login_hint);
  return `/auth/login?${query.toString()}`;
}

/** An interaction that expired, finished or began in another browser is the provider's SessionNotFound: a 404 that says what to do. */
function interactionOver(error: unknown): never {
  if (error instanceof errors.OIDCProviderError) {
    const detail = 'this sign-in is over (it expired, or was finished or begun in another browser): go back to the app and sign in again';
    throw new AppError('not-found', detail, { errors: [{ field: 'uid', message: 'is over' }] });
  }
  throw error;
}
