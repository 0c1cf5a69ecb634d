import { sql, type Kysely, type Transaction } from 'kysely';
import type { AccountRow, AccountUpdate, DB, NewAccount } from '../db/types.js';
import { PreparedStatement } from '../db/prepared.js';
import { builtinRoles } from '../permissions/wildcard.js';

type Db = Kysely<DB> | Transaction<DB>;

/** The case-insensitive key under which usernames and e-mails are unique. */
export function loginKey(value: string): string {
  return value.trim().toLowerCase();
}

/** Stores a new account. */
export async function insertAccount(db: Db, account: NewAccount): Promise<void> {
  await db.insertInto('accounts').values(account).execute();
}

/** An account by id. */
export async function findAccountById(db: Db, id: string): Promise<AccountRow | undefined> {
  return accountById.first(db, id);
}

const accountById = new PreparedStatement(1, (db, id: string) => db.selectFrom('accounts').selectAll().where('id', '=', id));

/**
 * An account with its roles (the built-in groups it belongs to), in one statement; why: a refresh needs both for
 * the new access token, and on PostgreSQL each statement is a round trip.
 */
export async function findAccountWithRoles(db: Db, id: string): Promise<{ account: AccountRow; roles: string[] } | undefined> {
  const rows = await accountWithRoles.rows(db, id);
  if (!rows.length) return undefined;
  const { role: _role, ...account } = rows[0]!;
  return { account, roles: rows.flatMap((row) => (row.role === null ? [] : [row.role])) };
}

const accountWithRoles = new PreparedStatement(1, (db, id: string) =>
  db
    .selectFrom('accounts')
    .leftJoin('memberships', 'memberships.account_id', 'accounts.id')
    .leftJoin('groups', (join) => join.onRef('groups.id', '=', 'memberships.group_id').on('groups.builtin', '=', 1))
    .selectAll('accounts')
    .select('groups.id as role')
    .where('accounts.id', '=', id)
    .orderBy('groups.name'));

/** An account by username or e-mail (anything that asks for a login name accepts both, CONTRACT §3). */
export async function findAccountByLogin(db: Db, login: string): Promise<AccountRow | undefined> {
  const key = loginKey(login);
  const rows = await accountsByLoginKey.rows(db, key);
  // A username may equal another account's e-mail; the username wins, as it is what the owner chose to log in with.
  return rows.find((row) => row.username_key === key) ?? rows[0];
}

const accountsByLoginKey = new PreparedStatement(1, (db, key: string) =>
  db.selectFrom('accounts').selectAll().where((eb) => eb.or([eb('username_key', '=', key), eb('email_key', '=', key)])).limit(sql.lit(2)));

/** Which of a username / e-mail are already taken. */
export async function findConflicts(db: Db, usernameKeyValue: string, emailKey: string | null): Promise<{ username: boolean; email: boolean }> {
  const keys = emailKey ? [usernameKeyValue, emailKey] : [usernameKeyValue];
  const rows = await db
    .selectFrom('accounts')
    .select(['username_key', 'email_key'])
    .where((eb) => eb.or([eb('username_key', 'in', keys), eb('email_key', 'in', keys)]))
    .execute();
  return {
    username: rows.some((row) => row.username_key === usernameKeyValue || row.email_key === usernameKeyValue),
    email: emailKey !== null && rows.some((row) => row.email_key === emailKey || row.username_key === emailKey),
  };
}

/** Updates account columns. */
export async function updateAccountRow(db: Db, id: string, patch: AccountUpdate): Promise<void> {
  await db.updateTable('accounts').set(patch).where('id', '=', id).execute();
}

/** The stored password hash, or null for accounts without a password (admin before bootstrap, guests, API keys). */
export async function findPasswordHash(db: Db, accountId: string): Promise<string | null> {
  return (await passwordHashOf.first(db, accountId))?.secret_hash ?? null;
}

const passwordHashOf = new PreparedStatement(1, (db, accountId: string) =>
  db.selectFrom('credentials').select('secret_hash').where('account_id', '=', accountId).where('type', '=', 'password'));

/** Notes a successful login's time on the account. */
export async function setLastLogin(db: Db, id: string, at: number): Promise<void> {
  await lastLogin.run(db, id, at);
}

const lastLogin = new PreparedStatement(2, (db, id: string, at: number) => db.updateTable('accounts').set({ last_login_at: at }).where('id', '=', id));

/** Sets or replaces the password credential. */
export async function storePasswordHash(db: Db, accountId: string, hash: string, now: number, newId: string): Promise<void> {
  const updated = await db
    .updateTable('credentials')
    .set({ secret_hash: hash, updated_at: now })
    .where('account_id', '=', accountId)
    .where('type', '=', 'password')
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) > 0) return;
  await db
    .insertInto('credentials')
    .values({ id: newId, account_id: accountId, type: 'password', secret_hash: hash, external_id: null, created_at: now, updated_at: now })
    .execute();
}

/** Group memberships split into built-in roles and ordinary groups. */
export async function findMemberships(db: Db, accountId: string): Promise<{ roles: string[]; groups: string[] }> {
  const rows = await membershipsOf.rows(db, accountId);
  return {
    roles: rows.filter((row) => row.builtin === 1).map((row) => row.id),
    groups: rows.filter((row) => row.builtin === 0).map((row) => row.name),
  };
}

const membershipsOf = new PreparedStatement(1, (db, accountId: string) =>
  db
    .selectFrom('memberships')
    .innerJoin('groups', 'groups.id', 'memberships.group_id')
    .select(['groups.id', 'groups.name', 'groups.builtin'])
    .where('memberships.account_id', '=', accountId)
    .orderBy('groups.name'));

/** How many accounts hold a built-in role; why: the last `sysadmin` must never lose it. */
export async function countRoleMembers(db: Db, role: string): Promise<number> {
  const row = await db.selectFrom('memberships').select((eb) => eb.fn.countAll<number | string>().as('n')).where('group_id', '=', role).executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Permissions granted to the account directly. */
export async function findOwnPermissions(db: Db, accountId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('permissions')
    .select('permission')
    .where('subject_type', '=', 'account')
    .where('subject_id', '=', accountId)
    .orderBy('permission')
    .execute();
  return rows.map((row) => row.permission);
}

/** Permissions of every ordinary group the account is in (built-in roles' permissions live in code). */
export async function findGroupPermissions(db: Db, accountId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('permissions')
    .innerJoin('memberships', 'memberships.group_id', 'permissions.subject_id')
    .select('permissions.permission')
    .where('permissions.subject_type', '=', 'group')
    .where('memberships.account_id', '=', accountId)
    .execute();
  return rows.map((row) => row.permission);
}

/** Puts the account in exactly the given built-in roles. */
export async function setRoles(db: Db, accountId: string, roles: readonly string[]): Promise<void> {
  await db.deleteFrom('memberships').where('account_id', '=', accountId).where('group_id', 'in', [...builtinRoles]).execute();
  if (roles.length) await db.insertInto('memberships').values(roles.map((role) => ({ group_id: role, account_id: accountId }))).execute();
}

/** Creates the built-in role groups if missing (idempotent, safe on many nodes at once). */
export async function ensureBuiltinGroups(db: Db, now: number): Promise<void> {
  await db
    .insertInto('groups')
    .values(builtinRoles.map((role) => ({ id: role, name: role, builtin: 1, created_at: now })))
    .onConflict((oc) => oc.doNothing())
    .execute();
}
