import { errors, interactionPolicy, type ClaimsParameter, type KoaContextWithOIDC } from 'oidc-provider';
import { ACR_MULTI_FACTOR, ACR_SINGLE_FACTOR } from './interaction.js';

/**
 * What an authorization request asks of `acr`: the class it prefers (`acr_values`, OIDC Core §3.1.2.1: voluntary, in
 * order of preference), and the classes it accepts when its `claims` parameter marks `acr` essential (§5.5.1.1).
 */
export interface AcrRequest {
  preferred?: string | undefined;
  essential?: string[] | undefined;
}

/** What to do with a sign-in of class `acr` for a request: hand it over, ask for the second factor, or refuse. */
export type AcrOutcome = 'as-is' | 'step-up' | 'unmet';

/** The request's `acr_values` and `claims` as an AcrRequest (the provider has validated both before any interaction). */
export function acrRequestOf(params: { acr_values?: unknown; claims?: unknown }): AcrRequest {
  const preferred = typeof params.acr_values === 'string' ? params.acr_values.split(' ').find(Boolean) : undefined;
  const acr = idTokenAcrOf(params.claims);
  if (!acr?.essential) return { preferred };
  const essential = Array.isArray(acr.values) ? acr.values.map(String) : typeof acr.value === 'string' ? [acr.value] : undefined;
  return { preferred, essential };
}

/** Whether the request asks for a second factor: the multi-factor class first in `acr_values`, or the only one essential. */
export function wantsMultiFactor(request: AcrRequest): boolean {
  if (request.essential?.includes(ACR_MULTI_FACTOR) && !request.essential.includes(ACR_SINGLE_FACTOR)) return true;
  return request.preferred === ACR_MULTI_FACTOR && (request.essential === undefined || request.essential.includes(ACR_MULTI_FACTOR));
}

/**
 * The outcome for a sign-in of class `acr`. A single-factor one of an account with a factor is stepped up when the
 * multi-factor class is asked for; otherwise the class is what it is — an app asking voluntarily checks `acr` itself —
 * unless the request made `acr` essential and this class is not among its values: `unmet_authentication_requirements`
 * (OpenID Connect Core errata, "Unmet Authentication Requirements 1.0"), never an endless round of new interactions.
 */
export async function acrOutcome(request: AcrRequest, acr: string, hasFactor: () => Promise<boolean>): Promise<AcrOutcome> {
  if (acr !== ACR_MULTI_FACTOR && wantsMultiFactor(request) && (await hasFactor())) return 'step-up';
  return request.essential === undefined || request.essential.includes(acr) ? 'as-is' : 'unmet';
}

/**
 * node-oidc-provider's interaction policy with one more login check: a request whose `acr_values` prefers the
 * multi-factor class, from a browser whose provider session is single-factor, goes to the interaction (which asks for
 * the second factor, acr.ts's outcome) instead of being answered by single sign-on at once. Why not when the request
 * resumes an interaction that signed in (`result.login`): that sign-in is the answer — a voluntary class it could not
 * reach (no factor) is handed over as it is, as the provider's own `max_age` check does.
 */
export function gatehousePolicy(): interactionPolicy.DefaultPolicy {
  const policy = interactionPolicy.base();
  policy.get('login')!.checks.push(new interactionPolicy.Check(
    'gatehouse_acr_step_up', 'a second factor was requested (acr_values)', 'login_required', (ctx) => stepUpDue(ctx),
  ));
  return policy;
}

/** The members of the ID token the `claims` parameter may ask about: the class, and the sign-in time. */
const CLAIMS_PARAMETER_MEMBERS = new Set(['acr', 'auth_time']);

/**
 * The `claims` parameter (OIDC Core §5.5), limited to `id_token.acr` and `id_token.auth_time` — enough to make a class
 * essential (acrOutcome). Why limited: the consent page lists scopes only, and every other claim comes with its scope
 * (claims.ts); a request asking for more is refused with `invalid_request` rather than granted unseen.
 */
export const claimsParameterFeature = {
  enabled: true,
  assertClaimsParameter(_ctx: KoaContextWithOIDC, claims: ClaimsParameter): void {
    const asked = Object.keys(claims.id_token ?? {});
    if (claims.userinfo !== undefined || asked.some((name) => !CLAIMS_PARAMETER_MEMBERS.has(name))) {
      throw new errors.InvalidRequest('claims: only id_token acr and auth_time can be requested this way; ask for other claims by scope');
    }
  },
};

function stepUpDue(ctx: KoaContextWithOIDC): boolean {
  const { oidc } = ctx;
  if (!oidc.session?.accountId || oidc.result?.login) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
  const request = acrRequestOf({ acr_values: oidc.params?.acr_values, claims: oidc.params?.claims });
  return wantsMultiFactor(request) && oidc.acr !== ACR_MULTI_FACTOR;
}

/** `claims.id_token.acr` of the request's `claims` parameter (JSON text, or already parsed), if any. */
function idTokenAcrOf(claims: unknown): { essential?: unknown; value?: unknown; values?: unknown } | undefined {
  let parsed: unknown = claims;
  if (typeof claims === 'string') {
    try {
      parsed = JSON.parse(claims);
    } catch {
      return undefined;
    }
  }
  const acr = (parsed as { id_token?: { acr?: unknown } } | null | undefined)?.id_token?.acr;
  return acr !== null && typeof acr === 'object' ? acr : undefined;
}
