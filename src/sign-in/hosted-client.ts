import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ClientDirectory } from '../clients/client-directory.js';
import type { Client } from '../clients/client.repository.js';
import { requireClient } from '../clients/client-rules.js';
import { clientInfo } from '../http/authenticate.js';
import { invalidField } from '../http/errors.js';
import { toProblem, type Problem } from '../http/problem.js';
import { PRINTABLE } from '../http/schemas.js';
import { isFormPost, requireLoginCsrf, type LoginCsrfDeps } from '../pages/form-token.js';
import type { FieldErrors } from '../pages/forms.js';
import { pickLanguage } from '../pages/i18n.js';
import { t, type Lang } from '../pages/i18n.js';
import type { Config } from '../config/index.js';
import type { RandomSource } from '../clock.js';
import type { Proof } from './attempt.js';
import { sendToClient } from './delivery.js';
import type { SignIn } from './pipeline.js';
import { INTERACTION_UID_PATTERN } from './interaction-return.js';

const interactionUid = new RegExp(INTERACTION_UID_PATTERN);
/** The longest login name the login form takes (RFC 5321's path limit, as `LoginName`), so the longest it is prefilled with. */
export const MAX_LOGIN_NAME_LENGTH = 254;
const printable = new RegExp(PRINTABLE);

/**
 * The query of a client's hosted pages: the client, the OpenID interaction they sign in for (set by the provider),
 * and the login name to prefill (the interaction's `login_hint`).
 */
export const HostedClientQuery = Type.Object({
  clientID: Type.Optional(Type.String({ maxLength: 128 })),
  interaction: Type.Optional(Type.String({ pattern: INTERACTION_UID_PATTERN, description: 'The OpenID interaction this sign-in is for' })),
  email: Type.Optional(Type.String({
    minLength: 1, maxLength: MAX_LOGIN_NAME_LENGTH, pattern: PRINTABLE, description: 'The e-mail or user name the login form is filled in with (OpenID login_hint)',
  })),
});

/** Whether `value` may prefill the login form (`?email=`): what HostedClientQuery accepts, so a longer hint is left out instead of refused. */
export function isPrefillableLogin(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= MAX_LOGIN_NAME_LENGTH && printable.test(value);
}

/**
 * The OpenID interaction a client's hosted page signs in for (`?interaction=`), if any. Why it only travels along:
 * the sign-in ends by going back to that interaction, whose own checks (the provider's cookie bound to it) decide.
 */
export function interactionOf(request: FastifyRequest): string | undefined {
  const value = (request.query as Record<string, unknown> | undefined)?.interaction;
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !interactionUid.test(value)) throw invalidField('interaction', 'is not an interaction id');
  return value;
}

/** A problem code as `error=` names it on the hosted login after a failed provider login (`invalid-credentials`, …). */
export const PROBLEM_CODE_PATTERN = '^[a-z][a-z0-9-]{0,63}$';

/**
 * Where a failed provider login inside an OpenID interaction goes: back to the interaction's hosted login, which says
 * it failed (`error=<code>`) and offers every way in again. Why not the client's callbackURL, as for seed 000's
 * clients: an OpenID app waits at its redirect URI for a code and its `state`, not for seed 000's `?error=`.
 */
export function loginAfterProviderFailure(baseUrl: string, client: Client, interaction: string, code: string): string {
  return `${baseUrl}/auth/login?${hostedQuery(client, interaction)}&error=${encodeURIComponent(code)}`;
}

/** The query of a client's hosted pages' links and forms: the client, and the interaction they sign in for. */
export function hostedQuery(client: Client, interaction: string | undefined): string {
  const query = `clientID=${encodeURIComponent(client.clientID)}`;
  return interaction ? `${query}&interaction=${encodeURIComponent(interaction)}` : query;
}

/**
 * What the login-CSRF rule (pages/form-token.ts) needs, with the registered clients' callback origins it lets post.
 * Why here: every session-starting form is a way in, and sign-in/ may ask the clients feature, pages/ may not.
 */
export function loginCsrfDeps(deps: { config: Config; serverKey: string; random: RandomSource; clients: Pick<ClientDirectory, 'isCallbackOrigin'> }): LoginCsrfDeps {
  const { config, serverKey, random, clients } = deps;
  return { config, serverKey, random, isClientCallbackOrigin: (origin) => clients.isCallbackOrigin(origin) };
}

/** What a client's hosted form (login, registration) uses; why one shape: both run the same steps, in this file. */
export interface HostedFormDeps {
  config: Config;
  clients: Pick<ClientDirectory, 'find'>;
  signIn: SignIn;
  /** The login-CSRF rule's dependencies; they make the page's form tokens too. */
  loginCsrf: LoginCsrfDeps;
}

/**
 * preValidation of a client's hosted form (login CSRF, form-token.ts): a foreign post without the page's form token
 * gets the form again (403) with "the form expired", drawn by that page's own `render`.
 */
export function requireClientLoginCsrf(
  deps: Pick<HostedFormDeps, 'clients' | 'loginCsrf'>,
  render: (request: FastifyRequest, reply: FastifyReply, client: Client, status: number, state: { errors: FieldErrors }) => FastifyReply,
) {
  return requireLoginCsrf(deps.loginCsrf, async (request, reply) => {
    const client = await requireClient(deps.clients, (request.query as Record<string, unknown>).clientID);
    return render(request, reply, client, 403, { errors: { form: [t(pickLanguage(request.headers['accept-language']), 'form.expired')] } });
  });
}

/**
 * The login form's post ends in a redirect to the client's callback — or, for an OpenID client, to one of its
 * redirect URIs — which the page's CSP must allow (`form-action` applies to the redirects after a post).
 */
export function clientFormOrigins(client: Client): { formOrigins: string[] } {
  const urls = [client.callbackURL, ...(client.oidc?.redirectUris ?? [])];
  return { formOrigins: [...new Set(urls.filter((url) => URL.canParse(url)).map((url) => new URL(url).origin))] };
}

/** The login page's heading: "Sign in to Demo App" for a client with a name, else "Sign in". */
export function signInTitle(lang: Lang, client: Client): string {
  return client.name ? t(lang, 'login.titleFor', { client: client.name }) : t(lang, 'login.title');
}

/** Draws a client's form again after a refused post, with the problem's reason and status. */
export type ShowAgain = (client: Client, problem: Problem, headers: Record<string, string>) => FastifyReply;

/**
 * The post of a client's hosted form (login, registration): the proof goes through the sign-in pipeline and the token
 * to the client. Failures as handleHostedForm says.
 */
export async function signInFromHostedForm(
  deps: HostedFormDeps, request: FastifyRequest, reply: FastifyReply, proof: (client: Client) => Proof, showAgain: ShowAgain,
): Promise<FastifyReply> {
  return handleHostedForm(deps, request, reply, async (client) => {
    const given = proof(client);
    // The session records the way in: "Sign in with a passkey" is a passkey login, as the JSON API's is.
    const plan = { kind: 'client' as const, client, interaction: interactionOf(request), method: given.kind === 'passkey' ? 'passkey' as const : undefined };
    const signedIn = await deps.signIn.run({ proof: given, plan, client, info: clientInfo(request) });
    return sendToClient(request, reply, deps.config, signedIn);
  }, showAgain);
}

/**
 * The frame of a client's hosted form post: find the client, then `act`. Why shared: every such form answers failures
 * alike — a person sees the form again (`showAgain`) with the reason and the status an API caller gets; JSON callers
 * and 5xx get problem+json. Body validation errors reach here (`attachValidation`) so they can be shown next to their field.
 */
export async function handleHostedForm(
  deps: Pick<HostedFormDeps, 'clients'>, request: FastifyRequest, reply: FastifyReply, act: (client: Client) => Promise<FastifyReply>, showAgain: ShowAgain,
): Promise<FastifyReply> {
  const invalid = request.validationError as (Error & { validationContext?: string }) | undefined;
  if (invalid && invalid.validationContext !== 'body') throw invalid;
  const client = await requireClient(deps.clients, (request.query as { clientID?: unknown }).clientID);
  try {
    if (invalid) throw invalid;
    return await act(client);
  } catch (error) {
    if (!isFormPost(request)) throw error;
    const { problem, headers } = toProblem(error);
    if (problem.status >= 500) throw error;
    return showAgain(client, problem, headers);
  }
}
