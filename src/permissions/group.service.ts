import type { Kysely } from 'kysely';
import type { Principal } from './principal.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock, RandomSource } from '../clock.js';
import type { DB } from '../db/types.js';
import { AppError, type FieldError } from '../http/errors.js';
import {
  addMember, deleteGroup, existingAccountIds, findGroupById, findGroupByNameKey, findMemberIds, findPermissionsOfGroups,
  insertGroup, listGroups, removeMember, renameGroup, setGroupPermissions, setMembers, type GroupRow,
} from './group.repository.js';
import { builtinRoles, isPermitted, isValidPermission, rolePermissions } from './wildcard.js';
import { assertHolds } from './grants.js';
import { assertMayManage, assertMayManageAll, type StandingSource } from './rank.js';
import { isUniqueViolation } from '../db/errors.js';

/** A group as the API shows it (CONTRACT §5 `{id, name, permissions, accounts}`). */
export interface GroupView {
  id: string;
  name: string;
  permissions: string[];
  builtin: boolean;
  createdAt: string;
  accounts: string[];
}

/** Input of `POST /groups` and `PUT /groups/{id}`; absent fields are left as they are. */
export interface GroupInput {
  name?: string;
  permissions?: string[];
  accounts?: string[];
}

/** Names that would read as a role: the built-in groups own `admin` and `sysadmin`, every human account is a `user`. */
const RESERVED_NAMES = new Set(['user']);

/**
 * Groups, their permissions and their members (seed 000: "accounts as well as groups can have permissions").
 *
 * No escalation: the built-in groups are the roles, so their members change only at the hands of a holder of that
 * role or a sysadmin (as `PUT /api/auth/admin/account` `roles`); their name and code-defined permissions never change.
 * For every other group the same idea is applied to permissions: an actor may only add or remove a permission it
 * holds itself, and only change the members of — or delete — a group whose every permission it holds. Otherwise
 * `groups:write` alone (which `admin` has) would let an admin create a `*` group and join it.
 * Adding an account to a group or removing it is a change of that account, so it also needs a rank at or above the
 * account's (CONTRACT §3, rank.ts). Changing a group's permissions or deleting it does not look at the members' rank:
 * it can only hand out or take away permissions the actor holds itself.
 */
export class GroupService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly audit: AuditLog,
    private readonly accounts: StandingSource,
  ) {}

  /** One page of groups (needs `groups:read`). */
  async list(actor: Principal, offset: number, limit: number): Promise<{ groups: Omit<GroupView, 'accounts'>[]; total: number }> {
    requirePermission(actor, 'groups:read');
    const { rows, total } = await listGroups(this.db, offset, limit);
    const permissions = await findPermissionsOfGroups(this.db, rows.map((row) => row.id));
    return { groups: rows.map((row) => summary(row, permissionsOf(row, permissions.get(row.id) ?? []))), total };
  }

  /** One group with its members (needs `groups:read`). */
  async get(actor: Principal, id: string): Promise<GroupView> {
    requirePermission(actor, 'groups:read');
    return this.view(await this.mustFind(id));
  }

  /** Creates a group (needs `groups:write`); every check runs before the first write. */
  async create(actor: Principal, input: GroupInput & { name: string }): Promise<GroupView> {
    requirePermission(actor, 'groups:write');
    const permissions = normalisePermissions(input.permissions ?? []);
    const accounts = await this.checkAccounts(input.accounts ?? []);
    await this.assertNameFree(input.name);
    assertHolds(actor, permissions, 'granting');
    await assertMayManageAll(this.accounts, actor, accounts);
    const row: GroupRow = { id: this.random.uuid(), name: input.name, builtin: 0, created_at: this.clock.now() };
    try {
      await this.db.transaction().execute(async (trx) => {
        await insertGroup(trx, row);
        await setGroupPermissions(trx, row.id, permissions);
        await setMembers(trx, row.id, accounts);
      });
    } catch (error) {
      // Two creations of one name can both pass the check above; the unique index decides.
      if (isUniqueViolation(error)) throw nameTaken();
      throw error;
    }
    await this.auditMembership(actor, row, accounts, 'added');
    return this.view(row);
  }

  /** Renames a group, replaces its permissions and/or its members (needs `groups:write`). */
  async update(actor: Principal, id: string, input: GroupInput): Promise<GroupView> {
    requirePermission(actor, 'groups:write');
    const group = await this.mustFind(id);
    const current = await this.permissionsOf(group);
    const permissions = input.permissions === undefined ? undefined : normalisePermissions(input.permissions);
    const accounts = input.accounts === undefined ? undefined : await this.checkAccounts(input.accounts);
    const renamed = input.name !== undefined && input.name !== group.name;
    if (group.builtin === 1) {
      if (renamed) throw new AppError('forbidden', `the built-in group ${group.id} cannot be renamed`);
      if (permissions && !sameSet(permissions, current)) throw new AppError('forbidden', `the permissions of the built-in group ${group.id} are fixed`);
    }
    if (renamed) await this.assertNameFree(input.name!, group.id);
    if (permissions) assertHolds(actor, symmetricDifference(permissions, current), 'changing');
    const members = await findMemberIds(this.db, group.id);
    const added = accounts ? accounts.filter((account) => !members.includes(account)) : [];
    const removed = accounts ? members.filter((account) => !accounts.includes(account)) : [];
    if (added.length || removed.length) {
      this.assertMayChangeMembers(actor, group, permissions ?? current);
      await assertMayManageAll(this.accounts, actor, [...added, ...removed]);
      if (group.id === 'sysadmin' && accounts!.length === 0) throw lastSysadmin();
    }
    try {
      await this.db.transaction().execute(async (trx) => {
        if (renamed) await renameGroup(trx, group.id, input.name!);
        if (permissions && group.builtin === 0) await setGroupPermissions(trx, group.id, permissions);
        if (accounts) await setMembers(trx, group.id, accounts);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken();
      throw error;
    }
    await this.auditMembership(actor, group, added, 'added');
    await this.auditMembership(actor, group, removed, 'removed');
    return this.view((await findGroupById(this.db, group.id))!);
  }

  /** Deletes a group, its memberships and its permissions (needs `groups:write`); the built-in groups stay. */
  async remove(actor: Principal, id: string): Promise<void> {
    requirePermission(actor, 'groups:write');
    const group = await this.mustFind(id);
    if (group.builtin === 1) throw new AppError('forbidden', `the built-in group ${group.id} cannot be deleted`);
    const permissions = await this.permissionsOf(group);
    // Deleting takes the group's permissions away from every member: the same as removing them one by one.
    assertHolds(actor, permissions, 'deleting a group with');
    const members = await findMemberIds(this.db, group.id);
    await this.db.transaction().execute((trx) => deleteGroup(trx, group.id));
    await this.auditMembership(actor, group, members, 'removed');
  }

  /** `PUT /groups/{id}/accounts/{accountId}`: idempotent. */
  async addMember(actor: Principal, id: string, accountId: string): Promise<void> {
    const { group, member } = await this.membershipTarget(actor, id, accountId);
    if (member) return;
    await addMember(this.db, group.id, accountId);
    await this.auditMembership(actor, group, [accountId], 'added');
  }

  /** `DELETE /groups/{id}/accounts/{accountId}`: idempotent; the last sysadmin stays. */
  async removeMember(actor: Principal, id: string, accountId: string): Promise<void> {
    const { group, member } = await this.membershipTarget(actor, id, accountId);
    if (!member) return;
    if (group.id === 'sysadmin' && (await findMemberIds(this.db, group.id)).length <= 1) throw lastSysadmin();
    await removeMember(this.db, group.id, accountId);
    await this.auditMembership(actor, group, [accountId], 'removed');
  }

  /** Checks shared by both membership endpoints, in the order permission → existence → escalation → rank. */
  private async membershipTarget(actor: Principal, id: string, accountId: string): Promise<{ group: GroupRow; member: boolean }> {
    requirePermission(actor, 'groups:write');
    const group = await this.mustFind(id);
    if (!(await existingAccountIds(this.db, [accountId])).has(accountId)) throw new AppError('not-found', 'account not found');
    this.assertMayChangeMembers(actor, group, await this.permissionsOf(group));
    await assertMayManage(this.accounts, actor, accountId);
    return { group, member: (await findMemberIds(this.db, group.id)).includes(accountId) };
  }

  /** Built-in group: a holder of that role or a sysadmin (AccountService.changeRoles' rule); else: a holder of all its permissions. */
  private assertMayChangeMembers(actor: Principal, group: GroupRow, permissions: readonly string[]): void {
    if (group.builtin === 1) {
      if (!actor.roles.includes(group.id) && !actor.roles.includes('sysadmin')) {
        throw new AppError('forbidden', `changing the members of ${group.id} requires holding the role ${group.id}`);
      }
      return;
    }
    assertHolds(actor, permissions, 'changing the members of a group with');
  }

  private async mustFind(id: string): Promise<GroupRow> {
    const group = await findGroupById(this.db, id);
    if (!group) throw new AppError('not-found', 'group not found');
    return group;
  }

  private async permissionsOf(group: GroupRow): Promise<string[]> {
    const stored = (await findPermissionsOfGroups(this.db, [group.id])).get(group.id) ?? [];
    return permissionsOf(group, stored);
  }

  private async view(group: GroupRow): Promise<GroupView> {
    const [permissions, accounts] = await Promise.all([this.permissionsOf(group), findMemberIds(this.db, group.id)]);
    return { ...summary(group, permissions), accounts };
  }

  private async assertNameFree(name: string, exceptId?: string): Promise<void> {
    if (RESERVED_NAMES.has(name.toLowerCase()) || (await findGroupByNameKey(this.db, name, exceptId))) throw nameTaken();
  }

  /** Deduplicated account ids that must all exist; each unknown one is named. */
  private async checkAccounts(ids: readonly string[]): Promise<string[]> {
    const unique = [...new Set(ids)];
    const existing = await existingAccountIds(this.db, unique);
    const errors: FieldError[] = [];
    ids.forEach((id, index) => {
      if (!existing.has(id)) errors.push({ field: `accounts.${index}`, message: 'no such account' });
    });
    if (errors.length) throw new AppError('invalid-request', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
    return unique;
  }

  /** Membership changes are role and permission grants: they go to the audit log under the account they change. */
  private async auditMembership(actor: Principal, group: GroupRow, accountIds: readonly string[], change: 'added' | 'removed'): Promise<void> {
    for (const accountId of accountIds) {
      await this.audit.record('account.updated', {
        accountId,
        sessionId: actor.sessionId,
        data: { by: actor.accountId, group: group.id, groupName: group.name, builtin: group.builtin === 1, membership: change },
      });
    }
  }
}

/** Throws `forbidden` unless the actor holds the permission (the same answer as AccountService.requirePermission). */
function requirePermission(actor: Principal, permission: string): void {
  if (!isPermitted(actor.permissions, permission)) throw new AppError('forbidden', `requires permission ${permission}`);
}

/**
 * Checks every entry (each bad one is named as `permissions.<index>`), then lower-cases (Shiro compares without
 * case, so `A:b` and `a:b` are one permission) and drops duplicates.
 */
function normalisePermissions(permissions: readonly string[]): string[] {
  const errors: FieldError[] = [];
  permissions.forEach((permission, index) => {
    if (!isValidPermission(permission)) {
      errors.push({ field: `permissions.${index}`, message: 'is not a permission: parts of letters, digits, _ . - or *, separated by : with , lists' });
    }
  });
  if (errors.length) throw new AppError('invalid-request', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
  return [...new Set(permissions.map((permission) => permission.toLowerCase()))].sort();
}

/** A built-in group's permissions are its role's, defined in code; any other group's are its stored rows. */
function permissionsOf(group: GroupRow, stored: string[]): string[] {
  return group.builtin === 1 && (builtinRoles as readonly string[]).includes(group.id) ? [...(rolePermissions[group.id] ?? [])] : stored;
}

function summary(group: GroupRow, permissions: string[]): Omit<GroupView, 'accounts'> {
  return { id: group.id, name: group.name, permissions, builtin: group.builtin === 1, createdAt: new Date(Number(group.created_at)).toISOString() };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return symmetricDifference(a, b).length === 0;
}

function symmetricDifference(a: readonly string[], b: readonly string[]): string[] {
  return [...a.filter((x) => !b.includes(x)), ...b.filter((x) => !a.includes(x))];
}

function nameTaken(): AppError {
  return new AppError('conflict', 'name: a group with this name already exists', { errors: [{ field: 'name', message: 'is taken' }] });
}

function lastSysadmin(): AppError {
  return new AppError('conflict', 'accounts: the sysadmin group must keep at least one member', { errors: [{ field: 'accounts', message: 'would leave no sysadmin' }] });
}
