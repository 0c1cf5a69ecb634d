import type { Kysely } from 'kysely';
import type { DB } from '../db/types.js';
import { AppError, invalidField } from '../http/errors.js';
import { assertionFromForm } from '../mfa/form-credential.js';
import type { FactorAnswer, SecondFactors } from '../mfa/second-factors.js';
import type { ClientInfo } from '../sessions/session.service.js';
import type { SessionPlan, SignedIn } from './attempt.js';
import { resumePlan } from './continuation.js';
import type { SignIn } from './pipeline.js';
import type { SecondStepForm } from '../pages/second-step-form.js';

/** What finishing a second step uses. */
export interface SecondStepDeps {
  db: Kysely<DB>;
  signIn: SignIn;
  factors: Pick<SecondFactors, 'pending'>;
}

/** A code, or a passkey's assertion, for a parked sign-in. */
export type SecondStepAnswer = { mfaToken: string } & FactorAnswer;

/**
 * Finishes a sign-in parked at `mfa-required`: the pending sign-in's plan, through the same pipeline (lockout, the
 * code, session, audit). `expectPlan` lets a way in refuse a token started elsewhere (the hosted page takes only its
 * client's). Why shared: `POST /api/auth/mfa/verify` and the hosted login's second page finish it alike.
 */
export async function finishSecondStep(
  deps: SecondStepDeps, answer: SecondStepAnswer, info: ClientInfo, expectPlan: (plan: SessionPlan) => boolean = () => true,
): Promise<SignedIn> {
  const pending = await deps.factors.pending.find(answer.mfaToken);
  if (!pending) throw new AppError('invalid-token', 'mfaToken: unknown, already used or expired; sign in again');
  const { plan, client } = await resumePlan(deps.db, pending.continuation);
  if (!expectPlan(plan)) throw new AppError('invalid-token', 'mfaToken: this sign-in was started elsewhere');
  const { mfaToken: _token, ...factor } = answer;
  return deps.signIn.run({ proof: { kind: 'second-factor', pending, ...factor }, plan, client, info });
}

/** A second-step form's post (pages/second-step-form.ts) as one answer: `400` naming the field its method lacks. */
export function answerOfForm(body: SecondStepForm): SecondStepAnswer {
  const { mfaToken, method } = body;
  if (method === 'enrolled') return { mfaToken, method };
  if (method === 'webauthn') return { mfaToken, method, credential: assertionFromForm(body.credential) };
  if (body.code === undefined) throw invalidField('code', `is required for method ${method}`);
  return { mfaToken, method, code: body.code };
}
