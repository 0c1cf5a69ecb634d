import type { Principal } from './principal.js';
import { AppError } from '../http/errors.js';
import { builtinRoles, implies, isPermitted } from './wildcard.js';

/** What ranks an account: its roles and its effective permissions (own + groups' + roles'), as a Principal carries them. */
export type Standing = Pick<Principal, 'roles' | 'permissions'>;

/** Where an account's standing comes from: AccountService.principal, the same computation every request's actor gets. */
export interface StandingSource {
  principal(accountId: string, sessionId: string): Promise<Standing>;
}

/** The roles that rank: the built-in groups. `user` grants nothing (CONTRACT §3) and only marks a human account. */
const RANKED_ROLES: ReadonlySet<string> = new Set(builtinRoles);

/** `sysadmin` holds `*`, so it stands above every role (as AccountService.changeRoles already lets it hand out any). */
function coversRole(actor: Standing, role: string): boolean {
  return actor.roles.includes(role) || actor.roles.includes('sysadmin');
}

/** A string Shiro could not parse implies nothing, not even itself: it grants nothing, so it adds no rank. */
function grantsSomething(permission: string): boolean {
  return implies(permission, permission);
}

/**
 * What `target` holds that `actor` does not: each ranked role the actor lacks (`role admin`) and each effective
 * permission of the target the actor's permissions do not imply. Empty when the actor outranks or equals the target.
 */
export function rankShortfall(actor: Standing, target: Standing): string[] {
  const roles = target.roles.filter((role) => RANKED_ROLES.has(role) && !coversRole(actor, role)).map((role) => `role ${role}`);
  const permissions = target.permissions.filter((permission) => grantsSomething(permission) && !isPermitted(actor.permissions, permission));
  return [...roles, ...permissions];
}

/** True when `actor` holds every role and every permission `target` holds (CONTRACT §3 "No one acts above their rank"). */
export function outranksOrEquals(actor: Standing, target: Standing): boolean {
  return rankShortfall(actor, target).length === 0;
}

/**
 * The one rank check every administrative operation on an account calls before it changes anything (CONTRACT §3;
 * DESIGN "checked in one place"): changing it (password, e-mail, confirmation, language, permissions, groups,
 * roles), deleting it, ending its sessions, adding it to or removing it from a group — and resetting its MFA, whose
 * route (`DELETE /accounts/{id}/mfa`) is to call this too. Why here and not per endpoint: the permission an
 * endpoint asks for (`accounts:write`, `sessions:delete`, `groups:write`) says what kind of act it is, not over whom;
 * without this an `admin` could set a `sysadmin`'s password and log in as it.
 *
 * Throws `forbidden` unless `actor` holds every role and permission the account holds. One's own account always
 * passes (same rank) without a look-up. The caller has already answered `not-found` for a missing account.
 * The detail does not name what the account holds: the caller may not be allowed to read it.
 */
export async function assertMayManage(accounts: StandingSource, actor: Principal, accountId: string): Promise<void> {
  if (accountId === actor.accountId) return;
  const target = await accounts.principal(accountId, '');
  if (!outranksOrEquals(actor, target)) {
    throw new AppError('forbidden', 'acting on this account requires holding every role and permission it holds');
  }
}

/** {@link assertMayManage} for several accounts (a group's added and removed members), each once. */
export async function assertMayManageAll(accounts: StandingSource, actor: Principal, accountIds: Iterable<string>): Promise<void> {
  for (const accountId of new Set(accountIds)) await assertMayManage(accounts, actor, accountId);
}
