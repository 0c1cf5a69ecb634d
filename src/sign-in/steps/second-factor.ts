import { AppError } from '../../http/errors.js';
import { provenAccount, type SignInContext, type SignInDeps, type Step } from '../attempt.js';
import { continuationOf } from '../continuation.js';

/**
 * Step 4: the second factor (CONTRACT §5 "Second step"). An account with a factor enrolled — or one that
 * `mfa.requiredFor` covers — gets no session from a password (or, with `mfa.trustProviders: false`, a provider) alone:
 * the sign-in is parked and `401 mfa-required` answers its single-use `mfaToken`, which `POST /api/auth/mfa/verify`
 * redeems with a code. Why here: every way in passes this one place after the proof and before any session exists.
 */
export const requireSecondFactor: Step = async (deps, context) => {
  if (!needsSecondStep(deps, context)) return;
  const account = provenAccount(context);
  if (account.type !== 'user') return;
  const { methods, hasFactor } = await deps.mfa.stateOf(account.id);
  if (hasFactor && methods.length === 0) {
    throw new AppError('mfa-required', 'this account\'s second factor was disabled (a passkey whose signature counter went backwards) and no recovery code is left: an administrator must reset its second factors', { members: { methods } });
  }
  const enroll = methods.length === 0 && (await deps.mfa.requiredFor(() => deps.roles.of(account)));
  if (methods.length === 0 && !enroll) return;
  if (context.attempt.plan.kind === 'basic') {
    throw new AppError('login-method-disabled', 'HTTP Basic cannot carry a second factor, which this account needs: sign in another way');
  }
  const firstFactor = context.attempt.proof.kind === 'identity' ? 'fed' : 'pwd';
  const mfaToken = await deps.mfa.pending.create({ accountId: account.id, continuation: continuationOf(context.attempt), firstFactor, enroll });
  await deps.audit.record('mfa.challenged', { accountId: account.id, inetAddress: context.attempt.info.inetAddress, data: { methods, enroll } });
  const detail = enroll
    ? 'this account must set up a second factor: use the mfaToken as a bearer token to enrol, then POST /api/auth/mfa/verify'
    : 'a second factor is needed: POST /api/auth/mfa/verify with the mfaToken and a code';
  throw new AppError('mfa-required', detail, { members: enroll ? { mfaToken, methods, enroll } : { mfaToken, methods } });
};

/** A password always does; a provider's identity unless `mfa.trustProviders`; a second step or a new account never. */
function needsSecondStep({ config }: SignInDeps, { attempt: { proof } }: SignInContext): boolean {
  if (proof.kind === 'password') return true;
  return proof.kind === 'identity' && !config.mfa.trustProviders;
}
