import type { Kysely } from 'kysely';
import { findClient, type Client } from '../clients/client.repository.js';
import type { DB } from '../db/types.js';
import { AppError } from '../http/errors.js';
import type { LoginMethod } from '../sessions/session.service.js';
import type { SessionPlan, SignInAttempt } from './attempt.js';

/** A plan as the pending sign-in stores it: a registered client by its id, so a later change of the client holds. */
type StoredPlan =
  | { kind: 'token'; method: LoginMethod; clientId?: string | undefined; scope?: string | undefined }
  | { kind: 'cookie'; method: LoginMethod; maxAgeSeconds: number; secondStepPath?: string | undefined }
  | { kind: 'client'; clientId: string; interaction?: string | undefined; method?: LoginMethod | undefined; stepUp?: string | undefined };

interface StoredContinuation {
  plan: StoredPlan;
  /** The client whose `disableStrategies` applied to the first step. */
  clientId: string | null;
}

/**
 * How a sign-in stopped at its second step is to be finished: the plan (OAuthToken, cookie, client delivery) and
 * the client of the way in. Why stored: `POST /api/auth/mfa/verify` may reach another node, minutes later, and must
 * finish the login the way it started (CONTRACT §5). HTTP Basic never gets here: it cannot carry a second step.
 */
export function continuationOf(attempt: Pick<SignInAttempt, 'plan' | 'client'>): string {
  const { plan } = attempt;
  const stored: StoredPlan = plan.kind === 'client'
    ? { kind: 'client', clientId: plan.client.clientID, interaction: plan.interaction, method: plan.method, stepUp: plan.stepUp }
    : storable(plan);
  const continuation: StoredContinuation = { plan: stored, clientId: attempt.client?.clientID ?? null };
  return JSON.stringify(continuation);
}

/** The plan and client of a stored continuation; a client deleted since is `invalid-token` (the login cannot finish). */
export async function resumePlan(db: Kysely<DB>, continuation: string): Promise<{ plan: SessionPlan; client: Client | null }> {
  const stored = JSON.parse(continuation) as StoredContinuation;
  const client = stored.clientId === null ? null : await clientOrRefuse(db, stored.clientId);
  if (stored.plan.kind !== 'client') return { plan: stored.plan, client };
  const { interaction, method, stepUp } = stored.plan;
  return { plan: { kind: 'client', client: await clientOrRefuse(db, stored.plan.clientId), interaction, method, stepUp }, client };
}

function storable(plan: Exclude<SessionPlan, { kind: 'client' }>): StoredPlan {
  if (plan.kind === 'basic') throw new Error('HTTP Basic has no second step');
  return plan;
}

async function clientOrRefuse(db: Kysely<DB>, clientId: string): Promise<Client> {
  const client = await findClient(db, clientId);
  if (!client) throw new AppError('invalid-token', 'mfaToken: the client this login was started for no longer exists');
  return client;
}
