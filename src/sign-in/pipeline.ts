import type { HandoverOf, SessionPlan, SignedIn, SignInAttempt, SignInContext, SignInDeps, Step } from './attempt.js';
import { auditSignIn } from './steps/audit.js';
import { prepareHandover, startedSession } from './steps/handover.js';
import { checkLockout, clearLockout } from './steps/lockout.js';
import { findPasskeyAccount, findPasswordAccount, findPendingAccount, requireClientAcceptsProof, requirePasswordLoginAllowed, requireRegisteredClient } from './steps/method-allowed.js';
import { requireConfirmed, verifyProof } from './steps/proof.js';
import { requireSecondFactor } from './steps/second-factor.js';
import { startSession } from './steps/session.js';

/** The steps, in order. A step that does not concern the attempt's proof or plan passes it on untouched. */
const STEPS: readonly Step[] = [
  // 1. this method and this client may be used
  requireRegisteredClient,
  requireClientAcceptsProof,
  findPasswordAccount,
  findPendingAccount,
  findPasskeyAccount,
  requirePasswordLoginAllowed,
  // 2. lockout
  checkLockout,
  // 3. verify the proof
  verifyProof,
  requireConfirmed,
  // 4. second factor
  requireSecondFactor,
  // only now: a right password alone must not reset the count a second step's wrong codes add to
  clearLockout,
  // 5. start the session
  startSession,
  // 6. deliver: what the session hands over (sign-in/delivery.ts writes it into the answer)
  prepareHandover,
  // 7. audit
  auditSignIn,
];

/**
 * The one sign-in pipeline (DESIGN.md "One sign-in pipeline"). Why: every way in — API login, `POST /auth/cookie`,
 * HTTP Basic, the hosted login and registration, the account page, the provider logins, guests — runs the same
 * ordered steps, so a rule (a client refusing passwords, lockout, confirmation, a second factor) is written once and
 * holds for all of them. Style of node-oidc-provider: a chain of small steps, one check each.
 */
export class SignIn {
  constructor(private readonly deps: SignInDeps) {}

  /** Runs every step on the attempt; throws the first step's AppError, else answers who signed in and what to hand over. */
  async run<P extends SessionPlan>(attempt: SignInAttempt<P>): Promise<SignedIn<HandoverOf<P>>> {
    const context: SignInContext = { attempt };
    for (const step of STEPS) await step(this.deps, context);
    const session = startedSession(context);
    return { account: context.account!, sessionId: session.id, expiresAt: session.expiresAt, handover: context.handover as HandoverOf<P> };
  }
}
