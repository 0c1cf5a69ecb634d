import { findAccountById, findAccountByLogin, loginKey } from '../../accounts/account.repository.js';
import { findClient } from '../../clients/client.repository.js';
import { assertClientAccepts } from '../../clients/client-rules.js';
import { AppError, invalidField } from '../../http/errors.js';
import type { Proof, Step } from '../attempt.js';

/** Step 1: an API login's `clientId` names a registered client. */
export const requireRegisteredClient: Step = async ({ db }, { attempt: { plan } }) => {
  if (plan.kind !== 'token' || plan.clientId === undefined) return;
  if (!(await findClient(db, plan.clientId))) throw invalidField('clientId', 'is not a registered client');
};

/** Step 1: the client the way in serves accepts this kind of proof. */
export const requireClientAcceptsProof: Step = (_deps, { attempt }) => {
  const strategy = strategyOf(attempt.proof);
  if (attempt.client && strategy !== null) assertClientAccepts(attempt.client, strategy);
};

/** Step 1 (reading): the account a password names; an unknown name goes on through every step (no enumeration). */
export const findPasswordAccount: Step = async ({ db }, context) => {
  const { proof } = context.attempt;
  if (proof.kind === 'password') context.account = await findAccountByLogin(db, proof.login);
};

/** Step 1: `password.login` on / off / whitelist and `password.blacklist`, by user name (seed 004). */
export const requirePasswordLoginAllowed: Step = ({ config }, { attempt: { proof }, account }) => {
  if (proof.kind !== 'password') return;
  const { login, whitelist, blacklist } = config.password;
  const name = loginKey(account?.username ?? proof.login);
  const listed = (list: readonly string[]) => list.some((entry) => loginKey(entry) === name);
  if (login === 'off' || (login === 'whitelist' && !listed(whitelist)) || listed(blacklist)) {
    throw new AppError('login-method-disabled', 'password login is disabled for this account');
  }
};

/**
 * Step 1 (reading): the account whose passkey the assertion names, before it is verified — so that lockout guards a
 * passkey login like a password one. An unknown credential goes on to step 3, which refuses it.
 */
export const findPasskeyAccount: Step = async (deps, context) => {
  const { proof } = context.attempt;
  if (proof.kind !== 'passkey') return;
  if (!deps.mfa.passkeys.enabled) throw new AppError('login-method-disabled', 'passkeys are disabled on this server (mfa.webauthn.enabled)');
  const accountId = await deps.mfa.passkeys.accountOf(proof.credential);
  context.account = accountId === undefined ? undefined : await findAccountById(deps.db, accountId);
};

/** Step 1 (reading): the account a second step continues; its way in was checked by the first step. */
export const findPendingAccount: Step = async ({ db }, context) => {
  const { proof } = context.attempt;
  if (proof.kind !== 'second-factor') return;
  context.account = await findAccountById(db, proof.pending.accountId);
  if (!context.account) throw new AppError('invalid-token', 'mfaToken: the account no longer exists');
};

function strategyOf(proof: Proof): string | null {
  if (proof.kind === 'password') return 'password';
  // A client's `disableStrategies: [passkey]` refuses passwordless passkey logins.
  if (proof.kind === 'passkey') return 'passkey';
  // A second step continues a way in the first step allowed.
  if (proof.kind === 'second-factor') return null;
  return proof.strategy;
}
