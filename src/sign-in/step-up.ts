import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuditLog } from '../audit/audit-log.js';
import type { Client } from '../clients/client.repository.js';
import type { SessionRow } from '../db/types.js';
import type { SecondFactors } from '../mfa/second-factors.js';
import type { LoginCsrfDeps } from '../pages/form-token.js';
import { amrOf, type LoginMethod } from '../sessions/session.service.js';
import { continuationOf } from './continuation.js';
import { renderSecondStep } from './second-step-page.js';

/** What asking a signed-in person for their second factor uses. */
export interface StepUpDeps {
  factors: Pick<SecondFactors, 'stateOf' | 'pending'>;
  audit: Pick<AuditLog, 'record'>;
  loginCsrf: LoginCsrfDeps;
}

/** Whether the account has a second factor it can answer with now (TOTP, a recovery code, a passkey). */
export async function canStepUp(deps: Pick<StepUpDeps, 'factors'>, accountId: string): Promise<boolean> {
  return (await deps.factors.stateOf(accountId)).methods.length > 0;
}

/**
 * Asks the person of a single-factor browser session for their second factor only — not the password again — because
 * an OpenID interaction wants the multi-factor class (oidc-provider/acr.ts). The sign-in is parked like a password
 * login's second step (CONTRACT §5 "Second step"): the hosted second page answers it at `POST /auth/login/mfa`, which
 * runs the sign-in pipeline (lockout, the code, audit) and, the plan's `stepUp` says, raises this session instead of
 * starting one, then goes back to the interaction. Why no loop: the session it goes back with is multi-factor.
 */
export async function askForSecondFactor(
  deps: StepUpDeps, request: FastifyRequest, reply: FastifyReply, session: SessionRow, client: Client, interaction: string,
): Promise<FastifyReply> {
  const accountId = session.account_id;
  const { methods } = await deps.factors.stateOf(accountId);
  const plan = { kind: 'client', client, interaction, method: session.method as LoginMethod, stepUp: session.id } as const;
  const firstFactor = amrOf(session.amr)?.includes('fed') ? 'fed' : 'pwd';
  const mfaToken = await deps.factors.pending.create({ accountId, continuation: continuationOf({ plan, client }), firstFactor, enroll: false });
  await deps.audit.record('mfa.challenged', { accountId, sessionId: session.id, inetAddress: request.ip, data: { methods, stepUp: true } });
  return renderSecondStep(request, reply, deps.loginCsrf, client, interaction, 200, { mfaToken, methods });
}
