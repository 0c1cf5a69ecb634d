/**
 * The operator's side of the admin password: what the start-up reports about the bootstrap admin, and
 * `gatehouse admin set-password`. Why: the bootstrap sets a password on the very first start only (CONTRACT §2), so
 * an operator who set `GATEHOUSE_ADMIN_PASSWORD` too late needs to be told, and a way to set it afterwards.
 */
import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock, RandomSource } from '../clock.js';
import { MIN_ADMIN_PASSWORD_LENGTH, type Config } from '../config/index.js';
import type { DB } from '../db/types.js';
import { AppError } from '../http/errors.js';
import type { PasswordHasher } from '../passwords/hasher.js';
import { MAX_PASSWORD_LENGTH } from '../passwords/policy.js';
import type { SessionService } from '../sessions/session.service.js';
import { findAccountByLogin, findPasswordHash, storePasswordHash } from './account.repository.js';
import type { AccountService } from './account.service.js';

/** Whether the account `admin.username` exists and can log in with a password; why: the start-up summary says it. */
export type AdminPasswordState = 'missing' | 'no-password' | 'password';

/** The state of the account `username` (by username or e-mail, as every login name is read). */
export async function readAdminPasswordState(db: Kysely<DB>, username: string): Promise<AdminPasswordState> {
  const account = await findAccountByLogin(db, username);
  if (!account) return 'missing';
  return (await findPasswordHash(db, account.id)) === null ? 'no-password' : 'password';
}

/**
 * The warning for a `GATEHOUSE_ADMIN_PASSWORD` that the start-up did not use, or null when it was used (or not set).
 * `before` is the admin's state before this start's bootstrap. Why: the variable silently doing nothing left the
 * admin login answering 401 with no hint anywhere (issue 16 item 1).
 */
export function ignoredAdminPasswordWarning(config: Config, before: AdminPasswordState): string | null {
  if (config.admin.initialPassword === null || before === 'missing') return null;
  const { username } = config.admin;
  return `GATEHOUSE_ADMIN_PASSWORD is ignored: the account "${username}" already exists, and the variable only sets the `
    + `password of the admin created on the very first start (${before === 'password' ? 'its password stays as it is' : 'it still has no password and cannot log in'}). `
    + `To set it now, run \`gatehouse admin set-password${username === 'admin' ? '' : ` --username ${username}`}\` (reads the password from stdin or a prompt), `
    + 'then unset the variable.';
}

/** Why a password given to `admin set-password` is refused, or null. The bootstrap's rule: 8 characters or more. */
export function operatorPasswordProblem(password: string): string | null {
  if (password.length < MIN_ADMIN_PASSWORD_LENGTH) return `must be at least ${MIN_ADMIN_PASSWORD_LENGTH} characters (got ${password.length})`;
  if (password.length > MAX_PASSWORD_LENGTH) return `must be at most ${MAX_PASSWORD_LENGTH} characters`;
  return null;
}

/** What {@link setPasswordAsOperator} uses: the services `createServices` builds. */
export interface OperatorPasswordDeps {
  db: Kysely<DB>;
  clock: Clock;
  random: RandomSource;
  hasher: PasswordHasher;
  accounts: Pick<AccountService, 'voidOneTimeTokens'>;
  sessions: Pick<SessionService, 'revokeAllForAccount'>;
  audit: AuditLog;
}

/** What `admin set-password` changed. */
export interface OperatorPasswordResult {
  accountId: string;
  username: string;
  sessionsEnded: number;
}

/**
 * Sets an account's password from the command line: the bootstrap's rule (not the policy, CONTRACT §2), argon2id,
 * outstanding e-mailed links voided, every session ended (broadcast to running nodes over PostgreSQL NOTIFY or Redis;
 * a SQLite server, which has no bus, re-checks its cached sessions within a minute), audited as done by `cli`.
 * Why every session: an operator resets a password because it was lost or leaked, and a leaked one may have been
 * used; an admin setting a password through the API ends the sessions the same way.
 * @throws AppError `invalid-request` for a refused password, `not-found` for an unknown account.
 */
export async function setPasswordAsOperator(deps: OperatorPasswordDeps, login: string, password: string): Promise<OperatorPasswordResult> {
  const problem = operatorPasswordProblem(password);
  if (problem) throw new AppError('invalid-request', `password ${problem}`);
  const account = await findAccountByLogin(deps.db, login);
  if (!account || account.type !== 'user') throw new AppError('not-found', `no account "${login}" that logs in with a password`);
  await storePasswordHash(deps.db, account.id, await deps.hasher.hash(password), deps.clock.now(), deps.random.uuid());
  await deps.accounts.voidOneTimeTokens(account.id, { type: 'password-changed' });
  const sessionsEnded = await deps.sessions.revokeAllForAccount(account.id);
  await deps.audit.record('password.changed', { accountId: account.id, data: { by: 'cli' } });
  if (sessionsEnded) await deps.audit.record('session.revoked', { accountId: account.id, data: { count: sessionsEnded, reason: 'password-changed', by: 'cli' } });
  return { accountId: account.id, username: account.username, sessionsEnded };
}
