import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { AccountService } from '../accounts/account.service.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { ClientDirectory } from '../clients/client-directory.js';
import type { Client } from '../clients/client.repository.js';
import type { Clock, RandomSource } from '../clock.js';
import type { Config } from '../config/index.js';
import type { DB } from '../db/types.js';
import { clientInfo } from '../http/authenticate.js';
import { sendProblem, toProblem, type Problem } from '../http/problem.js';
import type { LoginCsrfDeps } from '../pages/form-token.js';
import { pickLanguage } from '../pages/i18n.js';
import { secondStepStateOf } from '../pages/second-step-form.js';
import { renderCookieSecondStep, renderSecondStep } from '../sign-in/second-step-page.js';
import type { Proof } from '../sign-in/attempt.js';
import { sendToClient, setSessionCookie } from '../sign-in/delivery.js';
import { loginAfterProviderFailure } from '../sign-in/hosted-client.js';
import type { SignIn } from '../sign-in/pipeline.js';
import { FlowCookies } from './flow-cookie.js';
import type { FlowOrigin } from './flow-origin.js';
import { IdentityService, type ProvisioningRule } from './identity.service.js';
import { buildLoginProviders, type LoginProviders } from './login-providers.js';
import { sendLandingPage } from './landing-page.js';
import type { LoginProvider, VerifiedIdentity } from './provider.js';
import { sendToProvider } from './provider-redirect.js';

/** What the provider logins use; why spelled out: a provider flow is a way in, and needs these pieces, not every service. */
export interface ProviderDeps {
  config: Config;
  clock: Clock;
  random: RandomSource;
  /** Where the flows keep their one-time state (SAML requests and completions, used CAS tickets) and identities. */
  db: Kysely<DB>;
  /** The cluster's key, which the flow cookie is sealed with. */
  serverKey: string;
  signIn: SignIn;
  audit: AuditLog;
  accounts: AccountService;
  clients: Pick<ClientDirectory, 'find'>;
  /** The login-CSRF rule's dependencies: a second-step page (`mfa.trustProviders: false`) carries a form token. */
  loginCsrf: LoginCsrfDeps;
}

/** What every provider's routes share: their dependencies, the flow cookie and the identity → account rules. */
export interface ProviderContext {
  deps: ProviderDeps;
  flows: FlowCookies;
  identities: IdentityService;
  /** The configured identity providers, built once (login-providers.ts). */
  providers: LoginProviders;
}

/** Builds the shared context once per app. */
export function providerContext(deps: ProviderDeps): ProviderContext {
  return {
    deps,
    flows: new FlowCookies(deps.config, deps.clock, deps.serverKey),
    identities: new IdentityService(deps),
    providers: buildLoginProviders(deps.config, deps.db, deps.clock, deps.random),
  };
}

/** Starts a flow: remembers it and whom it is for in the browser, and sends the browser to the provider (redirect or auto-post form). */
export async function startFlow(context: ProviderContext, reply: FastifyReply, provider: LoginProvider, callbackUrl: string, origin: FlowOrigin): Promise<FastifyReply> {
  const start = await provider.start({ callbackUrl });
  context.flows.set(reply, provider.id, start.state, origin);
  return sendToProvider(reply, start.redirect);
}

/** What happens once the provider vouched for someone. */
export interface Completion {
  /** Session method and strategy of the provider. */
  provider: LoginProvider;
  rule: ProvisioningRule;
  /** Where a person without a client goes after success / failure (SAML and CAS `redirectSuccessUrl`...). */
  successUrl?: string | null;
  failureUrl?: string | null;
  /** Lifetime of the cookie session when no client started the flow, in seconds. */
  maxAgeSeconds: number;
  /** `false` for a provider without a flow cookie (SAML): another provider's flow in another tab is left alone. */
  flowCookie?: false;
  /**
   * Instead of starting anything once the identity is verified: parks it and answers the URL where the browser
   * continues from our landing page (SAML binds the login to the browser there, saml.routes.ts).
   */
  hold?: (identity: VerifiedIdentity) => Promise<string>;
}

/**
 * Finishes a login (`origin` from the flow cookie or SAML's stored flow, read by the caller before anything can fail):
 * the verified identity goes through the sign-in pipeline, which delivers a token to the client that started the flow,
 * signs in for the OpenID interaction it ran for (a browser session, then back to the interaction), or starts a cookie
 * session; every way the browser continues from our own landing page (landing-page.ts), so the first page after the
 * login sees the SameSite=Strict auth cookie. Failures return to the interaction's hosted login, else to the client's
 * callbackURL with `?error=<code>`, else to `failureUrl`, else answer problem+json.
 */
export async function completeLogin(
  context: ProviderContext,
  request: FastifyRequest,
  reply: FastifyReply,
  completion: Completion,
  origin: FlowOrigin,
  verify: () => Promise<VerifiedIdentity>,
): Promise<FastifyReply> {
  const { deps } = context;
  // A flow is used once; cleared before any answer is on its way, so every outcome carries the clearing header.
  if (completion.flowCookie !== false) context.flows.clear(reply);
  const client = origin.clientId ? ((await deps.clients.find(origin.clientId)) ?? null) : null;
  const interaction = client ? (origin.interaction ?? undefined) : undefined;
  try {
    const identity = await verify();
    if (completion.hold) return sendLandingPage(request, reply, await completion.hold(identity));
    // The identity is the proof; the sign-in pipeline does the rest, as for every way in.
    const proof: Proof = { kind: 'identity', strategy: completion.provider.strategy, resolve: () => context.identities.resolve(identity, completion.rule) };
    if (client) {
      // Inside an interaction the sign-in is the browser's Gatehouse session: recorded with the provider's method.
      const plan = { kind: 'client', client, interaction, method: interaction ? completion.provider.method : undefined } as const;
      const signedIn = await deps.signIn.run({ proof, plan, client, info: clientInfo(request) });
      return sendToClient(request, reply, deps.config, signedIn, (url) => sendLandingPage(request, reply, url));
    }
    const plan = { kind: 'cookie', method: completion.provider.method, maxAgeSeconds: completion.maxAgeSeconds } as const;
    setSessionCookie(reply, deps.config, await deps.signIn.run({ proof, plan, info: clientInfo(request) }));
    return sendLandingPage(request, reply, landingTarget(deps.config.server.baseUrl, completion.successUrl));
  } catch (error) {
    const { problem, internal } = toProblem(error);
    // `mfa.trustProviders: false` and a second factor due: the second page, in this browser, finishing the same way.
    if (problem.code === 'mfa-required') return showSecondStep(context, request, reply, client, interaction, problem);
    if (internal) request.log.error({ err: error }, 'provider login failed');
    await deps.audit.record('login.failed', { inetAddress: request.ip, data: { provider: completion.provider.id, code: problem.code } });
    if (client && interaction) return reply.redirect(loginAfterProviderFailure(deps.config.server.baseUrl, client, interaction, problem.code), 303);
    if (client || completion.failureUrl) {
      const target = new URL(client?.callbackURL ?? completion.failureUrl!, deps.config.server.baseUrl);
      target.searchParams.set('error', problem.code);
      return reply.redirect(target.toString(), 303);
    }
    return sendProblem(reply, error);
  }
}

/**
 * The second page of a provider login: the client's (hosted login, for its interaction if any; the stored continuation
 * carries the interaction too) or, without a client, the account page's.
 */
function showSecondStep(
  context: ProviderContext, request: FastifyRequest, reply: FastifyReply, client: Client | null, interaction: string | undefined, problem: Problem,
): FastifyReply {
  const state = secondStepStateOf(problem);
  const { loginCsrf } = context.deps;
  return client ? renderSecondStep(request, reply, loginCsrf, client, interaction, 200, state) : renderCookieSecondStep(request, reply, loginCsrf, 200, state);
}

/** `successUrl` (a URL, or a path on this server's origin), else this server's `/auth/user`. */
function landingTarget(baseUrl: string, successUrl: string | null | undefined): string {
  if (successUrl) return new URL(successUrl, baseUrl).href;
  return `${baseUrl.replace(/\/+$/, '')}/auth/user`;
}
