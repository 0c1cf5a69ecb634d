import { findPasswordHash, loginKey, storePasswordHash } from '../../accounts/account.repository.js';
import type { AccountRow } from '../../db/types.js';
import { AppError } from '../../http/errors.js';
import { safeEqual } from '../../util/hashing.js';
import { provenAccount, type Proof, type SignInContext, type SignInDeps, type Step } from '../attempt.js';
import { refuseWrongCode, refuseWrongPassword } from './lockout.js';

/**
 * Step 3: the password is right, the provider's identity resolves to an account, the new account is made, or the
 * second step's code is right; notes how (RFC 8176 `amr`) for the session.
 */
export const verifyProof: Step = async (deps, context) => {
  const { proof, info } = context.attempt;
  if (proof.kind === 'identity') {
    context.account = await proof.resolve();
    context.amr = ['fed'];
  } else if (proof.kind === 'new-account') {
    context.account = await proof.create();
    context.amr = proof.strategy === 'password' ? ['pwd'] : [];
  } else if (proof.kind === 'second-factor') {
    await verifySecondFactor(deps, context, proof);
  } else if (proof.kind === 'passkey') {
    await verifyPasskey(deps, context, proof);
  } else {
    if (!(await passwordIsRight(deps, context.account, proof.password, info.inetAddress)) || !context.account) await refuseWrongPassword(deps, context);
    context.amr = ['pwd'];
  }
};

/**
 * The code answers the pending sign-in's account — or, for `enrolled`, a hosted page set a factor up within this very
 * sign-in; the `mfaToken` is then spent, by exactly one request.
 */
async function verifySecondFactor(deps: SignInDeps, context: SignInContext, proof: Extract<Proof, { kind: 'second-factor' }>): Promise<void> {
  const account = provenAccount(context);
  const method = proof.method === 'enrolled' ? proof.pending.enrolled : proof.method;
  const right = proof.method === 'enrolled' ? method !== undefined : await deps.mfa.verifyAnswer(account.id, proof, context.attempt.info.inetAddress);
  if (!right || method === undefined) return refuseWrongCode(deps, context, () => deps.mfa.pending.countFailure(proof.pending));
  if (!(await deps.mfa.pending.take(proof.pending))) throw new AppError('invalid-token', 'mfaToken: already used or expired');
  context.amr = deps.mfa.amrAfter(proof.pending.firstFactor, method);
  await deps.audit.record('mfa.succeeded', { accountId: account.id, inetAddress: context.attempt.info.inetAddress, data: { method: proof.method } });
}

/**
 * A passwordless passkey login: the assertion (challenge once, origin, RP ID, user verification, signature, counter)
 * of a passkey of the account step 1 found. A refusal counts like a wrong password. User verification makes the
 * passkey a factor the person has and one they are or know: RFC 8176 `hwk` + `mfa`, and step 4 asks for nothing more.
 */
async function verifyPasskey(deps: SignInDeps, context: SignInContext, proof: Extract<Proof, { kind: 'passkey' }>): Promise<void> {
  const outcome = await deps.mfa.passkeys.verifyAssertion(proof.credential, { purpose: 'login', accountId: null, inetAddress: context.attempt.info.inetAddress });
  if (!outcome.ok || outcome.accountId !== context.account?.id || context.account.type !== 'user') {
    await refuseWrongPassword(deps, context, 'the passkey was refused' + (outcome.ok ? '' : `: ${outcome.message}`));
  }
  context.amr = ['hwk', 'mfa'];
}

/** Step 3: unconfirmed accounts may not log in with a password (or passkey) unless `signup.alwaysConfirm` (CONTRACT §3). */
export const requireConfirmed: Step = ({ config }, { attempt, account }) => {
  if ((attempt.proof.kind !== 'password' && attempt.proof.kind !== 'passkey') || !account) return;
  if (account.confirmed !== 1 && !config.signup.alwaysConfirm) throw new AppError('account-not-confirmed');
};

/**
 * An unknown account still costs one hash verify, so timing does not tell which names exist.
 * `admin.passwordOverride` replaces the admin's stored password while configured (seed 004).
 */
async function passwordIsRight(deps: SignInDeps, account: AccountRow | undefined, password: string, inetAddress: string | null): Promise<boolean> {
  const override = deps.config.admin.passwordOverride;
  if (account && override !== null && account.username_key === loginKey(deps.config.admin.username)) return safeEqual(password, override);
  const storedHash = account?.type === 'user' ? await findPasswordHash(deps.db, account.id) : null;
  const valid = await deps.accounts.passwordMatches(storedHash, password, inetAddress);
  if (valid && account && storedHash && deps.hasher.needsRehash(storedHash)) await rehash(deps, account.id, password);
  return valid;
}

async function rehash({ hasher, db, clock, random }: SignInDeps, accountId: string, password: string): Promise<void> {
  // Parameters changed since this hash was made (or it was imported): upgrade it now that we know the password.
  let upgraded: string;
  try {
    upgraded = await hasher.hash(password);
  } catch (error) {
    // A full hashing queue (`overloaded`) must not refuse a right password; the next login upgrades it.
    if (error instanceof AppError && error.code === 'overloaded') return;
    throw error;
  }
  await storePasswordHash(db, accountId, upgraded, clock.now(), random.uuid());
}
