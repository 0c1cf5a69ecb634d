import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import type { SessionRow } from '../db/types.js';
import { amrOf } from '../sessions/session.service.js';
import type { GatehouseResult } from './provider.js';

/** What we read of node-oidc-provider's interaction record. */
export interface Interaction {
  uid: string;
  /** When the interaction began (seconds). */
  iat: number;
  prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
  params: { client_id: string; max_age?: number | string; login_hint?: unknown; scope?: string; acr_values?: unknown; claims?: unknown; [key: string]: unknown };
  session?: { uid: string; accountId?: string };
  grantId?: string;
}

/** Authentication context classes (`acr`): one factor, or several (RFC 8176 `mfa` among the session's `amr`). */
export const ACR_SINGLE_FACTOR = 'urn:gatehouse:loa:1';
export const ACR_MULTI_FACTOR = 'urn:gatehouse:loa:2';
export const ACR_VALUES = [ACR_SINGLE_FACTOR, ACR_MULTI_FACTOR];

/** A login result made from a Gatehouse session: its class (`acr`) always set. */
export type SessionLogin = InteractionResults & GatehouseResult & { login: { acr: string } };

/**
 * The login result for the provider from a Gatehouse browser session, or undefined when the request wants a fresh
 * one: `prompt=login` (a sign-in made after the request began) or `max_age` (one recent enough).
 */
export function loginOfSession(interaction: Interaction, session: SessionRow, now: number): SessionLogin | undefined {
  if (session.revoked_at !== null || (session.expires_at !== null && Number(session.expires_at) <= now)) return undefined;
  const loginTime = Number(session.login_time);
  const { reasons } = interaction.prompt;
  if (reasons.includes('login_prompt') && loginTime < interaction.iat * 1000) return undefined;
  const maxAge = Number(interaction.params.max_age);
  if (Number.isFinite(maxAge) && now - loginTime > maxAge * 1000) return undefined;
  const amr = amrOf(session.amr) ?? ['pwd'];
  const acr = amr.includes('mfa') ? ACR_MULTI_FACTOR : ACR_SINGLE_FACTOR;
  return {
    login: { accountId: session.account_id, acr, amr, ts: Math.floor(loginTime / 1000), remember: true },
    gatehouse: { sessionId: session.id },
  };
}

/** Grants what the interaction's consent prompt says is missing (scopes, claims, resource scopes), saved. */
export async function grantRequested(provider: Provider, interaction: Interaction): Promise<string> {
  const accountId = interaction.session?.accountId;
  if (!accountId) throw new Error('a consent prompt without a signed-in session');
  const grant = (interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined)
    ?? new provider.Grant({ accountId, clientId: interaction.params.client_id });
  const details = interaction.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
  if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
  return grant.save();
}
