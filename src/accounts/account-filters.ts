import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import type { DB } from '../db/types.js';
import { loginKey } from './account.repository.js';

/** Filters of an account list: `GET /accounts` (e-mail, group, type) and the admin console (also search, role, confirmed). */
export interface AccountFilters {
  email?: string;
  group?: string;
  type?: 'user' | 'guest' | 'apikey';
  /** The start of an e-mail address or user name (case-insensitive). */
  search?: string;
  /** A built-in role (`admin`, `sysadmin`). */
  role?: string;
  confirmed?: boolean;
}

/** Whether no filter is set; why it matters: only the whole table's size may be estimated rather than counted. */
export function isUnfiltered(filters: AccountFilters): boolean {
  return Object.values(filters).every((value) => value === undefined);
}

/**
 * The accounts the filters admit, as a query to page or count. Why every filter is a plain condition on `accounts`
 * (memberships as a sub-select): the list pages in the (created_at, id) order of its index whatever is filtered, so a
 * page never sorts the table.
 */
export function filteredAccounts(db: Kysely<DB>, filters: AccountFilters) {
  let query = db.selectFrom('accounts');
  if (filters.email !== undefined) query = query.where('accounts.email_key', '=', loginKey(filters.email));
  if (filters.type !== undefined) query = query.where('accounts.type', '=', filters.type);
  if (filters.confirmed !== undefined) query = query.where('accounts.confirmed', '=', filters.confirmed ? 1 : 0);
  if (filters.search !== undefined) {
    // Both keys are stored lower-cased; `%`, `_` and `\` in the search are taken literally.
    const pattern = `${loginKey(filters.search).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where(sql<boolean>`(accounts.email_key like ${pattern} escape '\\' or accounts.username_key like ${pattern} escape '\\')`);
  }
  if (filters.group !== undefined) {
    const group = filters.group;
    query = query.where('accounts.id', 'in', (eb) => membersOf(eb).where((w) => w.or([w('groups.id', '=', group), w('groups.name', '=', group)])));
  }
  if (filters.role !== undefined) {
    const role = filters.role;
    query = query.where('accounts.id', 'in', (eb) => membersOf(eb).where('groups.id', '=', role).where('groups.builtin', '=', 1));
  }
  return query;
}

/** The ids of the accounts in a group, to narrow by `groups.*`. */
function membersOf(eb: ExpressionBuilder<DB, 'accounts'>) {
  return eb.selectFrom('memberships').innerJoin('groups', 'groups.id', 'memberships.group_id').select('memberships.account_id');
}
