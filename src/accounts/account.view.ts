import type { Kysely } from 'kysely';
import type { AccountRow, DB } from '../db/types.js';

/** An account as the API shows it (CONTRACT §3); never carries a secret. */
export interface AccountView {
  id: string;
  username: string;
  email: string | null;
  confirmed: boolean;
  language: string | null;
  type: AccountRow['type'];
  roles: string[];
  groups: string[];
  permissions: string[];
  createdAt: string;
  lastLoginAt: string | null;
  hasPassword: boolean;
  pendingEmail: string | null;
}

/** `user` for every human account, plus the built-in groups it belongs to (CONTRACT §3). */
export function rolesOf(row: AccountRow, builtin: string[]): string[] {
  return row.type === 'user' ? ['user', ...builtin] : builtin;
}

/**
 * Views of many accounts in three queries whatever their number (memberships, own permissions, passwords),
 * so a page of 100 accounts costs the same round trips as one.
 */
export async function accountViews(db: Kysely<DB>, rows: AccountRow[]): Promise<AccountView[]> {
  if (!rows.length) return [];
  const ids = rows.map((row) => row.id);
  const [memberships, permissions, passwords] = await Promise.all([
    db.selectFrom('memberships').innerJoin('groups', 'groups.id', 'memberships.group_id')
      .select(['memberships.account_id', 'groups.id', 'groups.name', 'groups.builtin'])
      .where('memberships.account_id', 'in', ids).orderBy('groups.name').execute(),
    db.selectFrom('permissions').select(['subject_id', 'permission'])
      .where('subject_type', '=', 'account').where('subject_id', 'in', ids).orderBy('permission').execute(),
    db.selectFrom('credentials').select('account_id')
      .where('type', '=', 'password').where('account_id', 'in', ids).execute(),
  ]);
  const withPassword = new Set(passwords.map((p) => p.account_id));
  return rows.map((row) => {
    const mine = memberships.filter((m) => m.account_id === row.id);
    return {
      id: row.id,
      username: row.username,
      email: row.email,
      confirmed: row.confirmed === 1,
      language: row.language,
      type: row.type,
      roles: rolesOf(row, mine.filter((m) => m.builtin === 1).map((m) => m.id)),
      groups: mine.filter((m) => m.builtin === 0).map((m) => m.name),
      permissions: permissions.filter((p) => p.subject_id === row.id).map((p) => p.permission),
      createdAt: new Date(row.created_at).toISOString(),
      lastLoginAt: row.last_login_at === null ? null : new Date(row.last_login_at).toISOString(),
      hasPassword: withPassword.has(row.id),
      pendingEmail: row.pending_email,
    };
  });
}
