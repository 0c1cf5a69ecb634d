import { loginKey } from '../../accounts/account.repository.js';
import type { AccountRow } from '../../db/types.js';
import { AppError } from '../../http/errors.js';
import type { SignInContext, SignInDeps, Step } from '../attempt.js';

/**
 * Step 2: a running lock refuses at once (`account-locked`), so a locked name costs no password hashing. Admins are
 * guarded only with `lockout.admins`; unknown names are counted by name, so they answer like known ones.
 */
export const checkLockout: Step = async (deps, context) => {
  const { proof } = context.attempt;
  if (proof.kind !== 'password' && proof.kind !== 'second-factor' && proof.kind !== 'passkey') return;
  const { account } = context;
  // A passkey nobody registered names no account: there is no counter to guard, and step 3 refuses it.
  if (proof.kind === 'passkey' && !account) return;
  const key = account ? `account:${account.id}` : `name:${loginKey(proof.kind === 'password' ? proof.login : '')}`;
  context.lock = { key, guarded: await isGuarded(deps, account) };
  if (context.lock.guarded) await auditIfLocked(deps, context, () => deps.lockout.assertNotLocked(context.lock!.key));
};

/**
 * A wrong password (called by step 3): counts it against the lock, records `login.failed` (and `login.locked` when
 * this one began the lock), and answers `invalid-credentials` — or `account-locked` past the limit.
 */
export async function refuseWrongPassword(deps: SignInDeps, context: SignInContext, detail = 'wrong login name or password'): Promise<never> {
  const { lock } = context;
  const outcome = lock?.guarded ? await auditIfLocked(deps, context, () => deps.lockout.fail(lock.key)) : 'counted';
  const details = failureDetails(context);
  await deps.audit.record('login.failed', details);
  if (outcome === 'locked-now') await deps.audit.record('login.locked', { ...details, data: { started: true } });
  throw new AppError('invalid-credentials', detail);
}

/**
 * A wrong second-factor code (called by step 3): counts toward the account's lockout like a wrong password
 * (CONTRACT §5) and against the `mfaToken`, records `mfa.failed`, and answers `invalid-mfa-code` — or `account-locked`.
 */
export async function refuseWrongCode(deps: SignInDeps, context: SignInContext, spendOnToken: () => Promise<void>): Promise<never> {
  const { lock } = context;
  const outcome = lock?.guarded ? await auditIfLocked(deps, context, () => deps.lockout.fail(lock.key)) : 'counted';
  await spendOnToken();
  const details = failureDetails(context);
  const method = context.attempt.proof.kind === 'second-factor' ? context.attempt.proof.method : undefined;
  await deps.audit.record('mfa.failed', { ...details, data: { method, step: 'sign-in' } });
  if (outcome === 'locked-now') await deps.audit.record('login.locked', { ...details, data: { started: true } });
  throw new AppError('invalid-mfa-code', 'the code is wrong, was used before, or is too old');
}

/** After the whole proof (password and any second factor): the failure count starts again. */
export const clearLockout: Step = async ({ lockout }, { lock }) => {
  if (lock?.guarded) await lockout.succeed(lock.key);
};

async function isGuarded({ lockout, config, roles }: SignInDeps, account: AccountRow | undefined): Promise<boolean> {
  if (!lockout.enabled) return false;
  if (config.lockout.admins || !account) return true;
  return !(await roles.of(account)).some((role) => role === 'admin' || role === 'sysadmin');
}

/** Runs a lockout call; an `account-locked` answer is recorded as `login.locked` on its way out. */
async function auditIfLocked<T>(deps: SignInDeps, context: SignInContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof AppError && error.code === 'account-locked') await deps.audit.record('login.locked', failureDetails(context));
    throw error;
  }
}

function failureDetails({ account, attempt }: SignInContext) {
  const loginName = attempt.proof.kind === 'password' ? attempt.proof.login : undefined;
  const data = attempt.proof.kind === 'passkey' ? { data: { method: 'passkey' } } : {};
  return { accountId: account?.id ?? null, loginName, inetAddress: attempt.info.inetAddress, ...data };
}
