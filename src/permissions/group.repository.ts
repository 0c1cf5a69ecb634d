import { PostgresAdapter, sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { DB, GroupTable } from '../db/types.js';

type Db = Kysely<DB> | Transaction<DB>;

export type GroupRow = Selectable<GroupTable>;

/** A group by id. */
export async function findGroupById(db: Db, id: string): Promise<GroupRow | undefined> {
  return db.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * A group whose name equals `name` ignoring case, other than `exceptId`. Names are ASCII (the schema says so),
 * where SQLite's and PostgreSQL's `lower()` agree.
 */
export async function findGroupByNameKey(db: Db, name: string, exceptId?: string): Promise<GroupRow | undefined> {
  let query = db.selectFrom('groups').selectAll().where(sql<string>`lower(name)`, '=', name.toLowerCase());
  if (exceptId !== undefined) query = query.where('id', '<>', exceptId);
  return query.executeTakeFirst();
}

/**
 * One page of groups by name ignoring case, and how many there are. PostgreSQL sorts by the database's locale
 * unless told otherwise; `collate "C"` gives SQLite's byte order, so both dialects page alike.
 */
export async function listGroups(db: Db, offset: number, limit: number): Promise<{ rows: GroupRow[]; total: number }> {
  const byName = db.getExecutor().adapter instanceof PostgresAdapter ? sql`lower(name) collate "C"` : sql`lower(name)`;
  const [rows, count] = await Promise.all([
    db.selectFrom('groups').selectAll().orderBy(byName).orderBy('id').offset(offset).limit(limit).execute(),
    db.selectFrom('groups').select(db.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.n) };
}

/** Stored permissions of the given groups, by group id (built-in groups have none: theirs live in code). */
export async function findPermissionsOfGroups(db: Db, groupIds: readonly string[]): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>(groupIds.map((id) => [id, []]));
  if (!groupIds.length) return result;
  const rows = await db
    .selectFrom('permissions')
    .select(['subject_id', 'permission'])
    .where('subject_type', '=', 'group')
    .where('subject_id', 'in', [...groupIds])
    .orderBy('permission')
    .execute();
  for (const row of rows) result.get(row.subject_id)?.push(row.permission);
  return result;
}

/** The member accounts' ids. */
export async function findMemberIds(db: Db, groupId: string): Promise<string[]> {
  const rows = await db.selectFrom('memberships').select('account_id').where('group_id', '=', groupId).orderBy('account_id').execute();
  return rows.map((row) => row.account_id);
}

/** Which of `ids` are existing accounts. */
export async function existingAccountIds(db: Db, ids: readonly string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const rows = await db.selectFrom('accounts').select('id').where('id', 'in', [...ids]).execute();
  return new Set(rows.map((row) => row.id));
}

/** Stores a new group. */
export async function insertGroup(db: Db, row: GroupRow): Promise<void> {
  await db.insertInto('groups').values(row).execute();
}

/** Renames a group. */
export async function renameGroup(db: Db, id: string, name: string): Promise<void> {
  await db.updateTable('groups').set({ name }).where('id', '=', id).execute();
}

/** Replaces a group's stored permissions. */
export async function setGroupPermissions(db: Db, groupId: string, permissions: readonly string[]): Promise<void> {
  await db.deleteFrom('permissions').where('subject_type', '=', 'group').where('subject_id', '=', groupId).execute();
  if (permissions.length) {
    await db.insertInto('permissions').values(permissions.map((permission) => ({ subject_type: 'group' as const, subject_id: groupId, permission }))).execute();
  }
}

/** Adds a member; adding one twice is not an error. */
export async function addMember(db: Db, groupId: string, accountId: string): Promise<void> {
  await db.insertInto('memberships').values({ group_id: groupId, account_id: accountId }).onConflict((oc) => oc.doNothing()).execute();
}

/** Removes a member; whether it was one or not. */
export async function removeMember(db: Db, groupId: string, accountId: string): Promise<void> {
  await db.deleteFrom('memberships').where('group_id', '=', groupId).where('account_id', '=', accountId).execute();
}

/** Makes exactly `accountIds` the group's members. */
export async function setMembers(db: Db, groupId: string, accountIds: readonly string[]): Promise<void> {
  await db.deleteFrom('memberships').where('group_id', '=', groupId).execute();
  if (accountIds.length) await db.insertInto('memberships').values(accountIds.map((accountId) => ({ group_id: groupId, account_id: accountId }))).execute();
}

/**
 * Deletes a group with its memberships and its permission rows. Memberships cascade by foreign key too; deleting
 * them here says so and does not depend on SQLite's `foreign_keys` pragma. Permissions have no foreign key.
 */
export async function deleteGroup(db: Db, groupId: string): Promise<void> {
  await db.deleteFrom('memberships').where('group_id', '=', groupId).execute();
  await db.deleteFrom('permissions').where('subject_type', '=', 'group').where('subject_id', '=', groupId).execute();
  await db.deleteFrom('groups').where('id', '=', groupId).execute();
}
