import { PostgresAdapter, sql, type ExpressionBuilder, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { DB } from '../db/types.js';
import { loginKey } from './account.repository.js';

/** Filters of an account list: `GET /accounts` (e-mail, group, type) and the admin console (also search, role, confirmed, MFA). */
export interface AccountFilters {
  email?: string;
  group?: string;
  type?: 'user' | 'guest' | 'apikey';
  /** The start of an e-mail address or user name (case-insensitive). */
  search?: string;
  /** A built-in role (`admin`, `sysadmin`). */
  role?: string;
  confirmed?: boolean;
  /** Whether the account holds a second factor: a confirmed TOTP secret or a passkey (the console's "has MFA"). */
  mfa?: boolean;
}

/** Whether no filter is set; why it matters: only the whole table's size may be estimated rather than counted. */
export function isUnfiltered(filters: AccountFilters): boolean {
  return Object.values(filters).every((value) => value === undefined);
}

/**
 * The accounts the filters admit, as a query to page or count. Every filter is a plain condition on `accounts`
 * (memberships as a sub-select), so the planner can walk the (created_at, id) listing index and stop after a page, or,
 * for a search that only a few accounts match, find those few by their own index and sort just them.
 */
export function filteredAccounts(db: Kysely<DB>, filters: AccountFilters) {
  let query = db.selectFrom('accounts');
  if (filters.email !== undefined) query = query.where('accounts.email_key', '=', loginKey(filters.email));
  if (filters.type !== undefined) query = query.where('accounts.type', '=', filters.type);
  if (filters.confirmed !== undefined) query = query.where('accounts.confirmed', '=', filters.confirmed ? 1 : 0);
  if (filters.search !== undefined) {
    const prefix = loginKey(filters.search);
    query = query.where((eb) => eb.or([startsWith(db, 'accounts.email_key', prefix), startsWith(db, 'accounts.username_key', prefix)]));
  }
  if (filters.group !== undefined) {
    const group = filters.group;
    query = query.where('accounts.id', 'in', (eb) => membersOf(eb).where((w) => w.or([w('groups.id', '=', group), w('groups.name', '=', group)])));
  }
  if (filters.role !== undefined) {
    const role = filters.role;
    query = query.where('accounts.id', 'in', (eb) => membersOf(eb).where('groups.id', '=', role).where('groups.builtin', '=', 1));
  }
  if (filters.mfa !== undefined) query = query.where(filters.mfa ? holdsFactor : (eb) => eb.not(holdsFactor(eb)));
  return query;
}

/**
 * "Holds a second factor", as SecondFactors.stateOf counts one: a confirmed TOTP secret, or a passkey — a disabled one
 * too, since disabling a passkey must not turn the password alone back into a way in. One EXISTS over a UNION ALL of
 * the two factor tables, each probed by its account_id index (mfa_totp's primary key, passkeys_account_idx): a page
 * walks the listing index and probes each account it passes, so it stops after its rows at any depth. Why not two
 * EXISTS joined by OR: PostgreSQL then hashes every factor holder's id once per query (measured: 150–290 ms a page
 * with 70,000 holders among 1,000,000 accounts, deep or not); it cannot hash a correlated UNION, and probes (~5 ms).
 */
function holdsFactor(eb: ExpressionBuilder<DB, 'accounts'>) {
  return eb.exists(eb.selectFrom('mfa_totp').select('mfa_totp.account_id').whereRef('mfa_totp.account_id', '=', 'accounts.id').where('mfa_totp.confirmed_at', 'is not', null)
    .unionAll(eb.selectFrom('passkeys').select('passkeys.account_id').whereRef('passkeys.account_id', '=', 'accounts.id')));
}

/** The ids of the accounts in a group, to narrow by `groups.*`. */
function membersOf(eb: ExpressionBuilder<DB, 'accounts'>) {
  return eb.selectFrom('memberships').innerJoin('groups', 'groups.id', 'memberships.group_id').select('memberships.account_id');
}

/**
 * "Begins with `prefix`" in the form each engine answers from an index (both keys are stored lower-cased): on
 * PostgreSQL a LIKE, served by the `text_pattern_ops` indexes (migration 2026_12_07_0001), `%`, `_` and `\` escaped
 * with its default escape `\`; on SQLite a GLOB, which its B-tree (BINARY) indexes serve where its LIKE could not,
 * `*`, `?` and `[` escaped as one-character classes. Either way the search is literal text, never a pattern.
 */
function startsWith(db: Kysely<DB>, column: 'accounts.email_key' | 'accounts.username_key', prefix: string): RawBuilder<SqlBool> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) return sql<SqlBool>`${sql.ref(column)} like ${`${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}`;
  return sql<SqlBool>`${sql.ref(column)} glob ${`${prefix.replace(/[*?[]/g, (c) => `[${c}]`)}*`}`;
}
