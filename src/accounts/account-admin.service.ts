import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock, RandomSource } from '../clock.js';
import type { Config } from '../config/index.js';
import type { DB, SessionRow } from '../db/types.js';
import { AppError, invalidField } from '../http/errors.js';
import type { SessionService } from '../sessions/session.service.js';
import type { AccessTokens } from '../tokens/access-tokens.js';
import { assertHolds } from '../permissions/grants.js';
import { isValidPermission } from '../permissions/wildcard.js';
import { findAccountById, findAccountByLogin, findOwnPermissions, loginKey, updateAccountRow } from './account.repository.js';
import type { AccountService, Principal } from './account.service.js';
import { accountViews, type AccountView } from './account.view.js';

/** Filters of `GET /accounts` (CONTRACT §5). */
export interface AccountFilters {
  email?: string;
  group?: string;
  type?: 'user' | 'guest' | 'apikey';
}

/** Everything `PUT /accounts/{id}` may change. */
export interface AccountChanges {
  language?: string | null;
  email?: string;
  permissions?: string[];
  groups?: string[];
  confirmed?: boolean;
  password?: string;
  currentPassword?: string;
}

/** What the account administration needs. */
export interface AccountAdminDeps {
  db: Kysely<DB>;
  config: Config;
  clock: Clock;
  random: RandomSource;
  accounts: AccountService;
  sessions: SessionService;
  accessTokens: AccessTokens;
  audit: AuditLog;
}

/**
 * The account-server side of accounts (seed 000): lists, changes by administrators, deletion, an account's
 * sessions, and API keys. A user reaches only its own account; everything else needs its permission.
 */
export class AccountAdminService {
  constructor(private readonly deps: AccountAdminDeps) {}

  /**
   * A page of accounts (`accounts:read`), oldest first so pages stay stable while accounts are added.
   * Deferred join: the page's ids come from the (created_at, id) index alone, then only those rows are read, so a
   * deep page skips index entries rather than sorting or reading the whole table. One row past the page tells
   * whether another page follows, which keeps an estimated total consistent with the `next` link.
   */
  async list(actor: Principal, filters: AccountFilters, offset: number, limit: number): Promise<{ items: AccountView[]; total: number }> {
    this.deps.accounts.requirePermission(actor, 'accounts:read');
    const query = this.filtered(filters);
    const ids = query.select('accounts.id').orderBy('accounts.created_at').orderBy('accounts.id').offset(offset).limit(limit + 1);
    const estimate = isUnfiltered(filters) ? await this.estimatedAccounts() : null;
    const exact = estimate === null || estimate <= EXACT_TOTAL_UP_TO;
    const [rows, counted] = await Promise.all([
      this.deps.db.selectFrom('accounts').selectAll().where('accounts.id', 'in', ids).orderBy('created_at').orderBy('id').execute(),
      exact ? query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow() : undefined,
    ]);
    const page = rows.slice(0, limit);
    const total = counted ? Number(counted.total) : boundedEstimate(estimate!, offset, page.length, rows.length > limit);
    return { items: await accountViews(this.deps.db, page), total };
  }

  private filtered(filters: AccountFilters) {
    let query = this.deps.db.selectFrom('accounts');
    if (filters.email !== undefined) query = query.where('accounts.email_key', '=', loginKey(filters.email));
    if (filters.type !== undefined) query = query.where('accounts.type', '=', filters.type);
    if (filters.group !== undefined) {
      const group = filters.group;
      query = query.where('accounts.id', 'in', (eb) =>
        eb.selectFrom('memberships').innerJoin('groups', 'groups.id', 'memberships.group_id').select('memberships.account_id')
          .where((w) => w.or([w('groups.id', '=', group), w('groups.name', '=', group)])));
    }
    return query;
  }

  /**
   * PostgreSQL's own row estimate for `accounts`, scaled to the table's current size as its planner does; null on
   * SQLite or before the table was first analysed. Why: an exact count reads every row, so it would make every page
   * of a million-account list cost as much as reading the table.
   */
  private async estimatedAccounts(): Promise<number | null> {
    if (!(this.deps.db.getExecutor().adapter instanceof PostgresAdapter)) return null;
    const { rows } = await sql<{ estimate: number | null }>`
      select case when c.relpages > 0
        then (c.reltuples / c.relpages * (pg_relation_size(c.oid) / current_setting('block_size')::int))::bigint end as estimate
      from pg_class c where c.oid = to_regclass('accounts')`.execute(this.deps.db);
    return rows[0]?.estimate ?? null;
  }

  /** One account: one's own, or any with `accounts:read`. */
  async read(actor: Principal, accountId: string): Promise<AccountView> {
    if (accountId !== actor.accountId) this.deps.accounts.requirePermission(actor, 'accounts:read');
    return this.deps.accounts.view(accountId);
  }

  /**
   * `PUT /accounts/{id}`. Password and language follow seed 004's rules (AccountService.update); e-mail,
   * permissions, groups and the confirmed flag are administration and need `accounts:write`, even on one's own
   * account (a user changes its e-mail through the confirmed change-email flow). Every check runs before a write.
   */
  async update(actor: Principal, accountId: string, input: AccountChanges, keepSession: boolean): Promise<AccountView> {
    const changes = { ...input, permissions: input.permissions && normalisePermissions(input.permissions) };
    const administrative = changes.email !== undefined || changes.permissions !== undefined || changes.groups !== undefined || changes.confirmed !== undefined;
    if (administrative || accountId !== actor.accountId) this.deps.accounts.requirePermission(actor, 'accounts:write');
    if (!(await findAccountById(this.deps.db, accountId))) throw new AppError('not-found', 'account not found');
    if (changes.email !== undefined) await this.assertEmailFree(changes.email, accountId);
    const groupIds = changes.groups === undefined ? undefined : await this.ordinaryGroupIds(changes.groups);
    await this.assertNoEscalation(actor, accountId, changes.permissions, groupIds);
    if (changes.password !== undefined || changes.language !== undefined) {
      await this.deps.accounts.update(actor, accountId, { password: changes.password, currentPassword: changes.currentPassword, language: changes.language }, keepSession);
    }
    await this.deps.db.transaction().execute(async (trx) => {
      const patch: Parameters<typeof updateAccountRow>[2] = {};
      if (changes.email !== undefined) Object.assign(patch, { email: changes.email, email_key: loginKey(changes.email), pending_email: null });
      if (changes.confirmed !== undefined) patch.confirmed = changes.confirmed ? 1 : 0;
      if (Object.keys(patch).length) await updateAccountRow(trx, accountId, patch);
      if (changes.permissions !== undefined) {
        await trx.deleteFrom('permissions').where('subject_type', '=', 'account').where('subject_id', '=', accountId).execute();
        const unique = [...new Set(changes.permissions)];
        if (unique.length) await trx.insertInto('permissions').values(unique.map((permission) => ({ subject_type: 'account' as const, subject_id: accountId, permission }))).execute();
      }
      if (groupIds !== undefined) {
        await trx.deleteFrom('memberships').where('account_id', '=', accountId)
          .where('group_id', 'in', (eb) => eb.selectFrom('groups').select('id').where('builtin', '=', 0)).execute();
        if (groupIds.length) await trx.insertInto('memberships').values(groupIds.map((group_id) => ({ group_id, account_id: accountId }))).execute();
      }
    });
    if (administrative) await this.deps.audit.record('account.updated', { accountId, data: { by: actor.accountId, fields: Object.keys(changes).filter((k) => !k.toLowerCase().includes('password')) } });
    return this.deps.accounts.view(accountId);
  }

  /**
   * Deletes an account (one's own, or with `accounts:delete`): every session ends first, on this node's caches too.
   * The last sysadmin cannot be deleted, so the server never loses its administrator.
   */
  async delete(actor: Principal, accountId: string): Promise<void> {
    if (accountId !== actor.accountId) this.deps.accounts.requirePermission(actor, 'accounts:delete');
    if (!(await findAccountById(this.deps.db, accountId))) throw new AppError('not-found', 'account not found');
    await this.assertNotLastSysadmin(accountId);
    await this.deps.sessions.revokeAllForAccount(accountId);
    await this.deps.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('permissions').where('subject_type', '=', 'account').where('subject_id', '=', accountId).execute();
      await trx.deleteFrom('accounts').where('id', '=', accountId).execute();
    });
    await this.deps.audit.record('account.deleted', { accountId, data: { by: actor.accountId } });
  }

  /** An account's live sessions: one's own, or with `sessions:read`. */
  async sessionsOf(actor: Principal, accountId: string): Promise<SessionRow[]> {
    if (accountId !== actor.accountId) this.deps.accounts.requirePermission(actor, 'sessions:read');
    if (!(await findAccountById(this.deps.db, accountId))) throw new AppError('not-found', 'account not found');
    const now = this.deps.clock.now();
    return this.deps.db.selectFrom('sessions').selectAll().where('account_id', '=', accountId).where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)])).orderBy('login_time', 'desc').execute();
  }

  /** One live session of an account; someone else's session answers like a missing one. */
  async sessionOf(actor: Principal, accountId: string, sessionId: string): Promise<SessionRow> {
    const session = (await this.sessionsOf(actor, accountId)).find((s) => s.id === sessionId);
    if (!session) throw new AppError('not-found', 'no such session');
    return session;
  }

  /** Ends one session of an account: one's own, or with `sessions:delete`. */
  async endSession(actor: Principal, accountId: string, sessionId: string): Promise<void> {
    if (accountId !== actor.accountId) this.deps.accounts.requirePermission(actor, 'sessions:delete');
    const session = await this.deps.sessions.find(sessionId);
    if (!session || session.account_id !== accountId || session.revoked_at !== null) throw new AppError('not-found', 'no such session');
    await this.deps.sessions.revoke(sessionId);
    await this.deps.audit.record('session.revoked', { accountId, sessionId, data: { by: actor.accountId } });
  }

  /**
   * An API key (seed 000): an account with no e-mail and no permissions and one token valid `tokens.apiKeyTtl`,
   * shown only now. The token belongs to a session like any credential, so ending that session revokes it.
   * `actor` null is the command line, which needs no permission.
   */
  async createApiKey(actor: Principal | null): Promise<{ jwt: string; accountID: string }> {
    if (actor) this.deps.accounts.requirePermission(actor, 'accounts:create-anonymous');
    const account = await this.deps.accounts.createAccount({ username: `apikey-${this.deps.random.uuid()}`, email: null, type: 'apikey', confirmed: true });
    const ttl = this.deps.config.tokens.apiKeyTtl;
    const session = await this.deps.sessions.create({
      accountId: account.id, method: 'apikey', clientId: null, scope: null,
      expiresAt: this.deps.clock.now() + ttl, inetAddress: null, userAgent: null,
    });
    const { token } = await this.deps.accessTokens.issue({ accountId: account.id, email: null, roles: [], sessionId: session.id }, ttl);
    await this.deps.audit.record('account.registered', { accountId: account.id, sessionId: session.id, data: { type: 'apikey', by: actor?.accountId ?? 'cli' } });
    return { jwt: token, accountID: account.id };
  }

  private async assertEmailFree(email: string, ownerId: string): Promise<void> {
    const existing = await findAccountByLogin(this.deps.db, email);
    if (existing && existing.id !== ownerId) throw new AppError('conflict', 'email: already registered', { errors: [{ field: 'email', message: 'is already registered' }] });
  }

  /** Resolves group names or ids; the built-in groups are roles, changed through `roles`, never here. */
  private async ordinaryGroupIds(groups: string[]): Promise<string[]> {
    if (!groups.length) return [];
    const rows = await this.deps.db.selectFrom('groups').select(['id', 'name', 'builtin'])
      .where((eb) => eb.or([eb('id', 'in', groups), eb('name', 'in', groups)])).execute();
    const missing = groups.filter((g) => !rows.some((row) => row.id === g || row.name === g));
    if (missing.length) throw invalidField('groups', `unknown group ${missing.join(', ')}`);
    const builtin = rows.filter((row) => row.builtin === 1);
    if (builtin.length) throw invalidField('groups', `${builtin.map((r) => r.name).join(', ')} is a role; change it with PUT /api/auth/admin/account {roles}`);
    return [...new Set(rows.map((row) => row.id))];
  }

  /** Permissions granted or withdrawn, directly or through a group, must be held by the one who changes them. */
  private async assertNoEscalation(actor: Principal, accountId: string, permissions: string[] | undefined, groupIds: string[] | undefined): Promise<void> {
    if (permissions !== undefined) {
      const current = await findOwnPermissions(this.deps.db, accountId);
      const changed = [...permissions.filter((p) => !current.includes(p)), ...current.filter((p) => !permissions.includes(p))];
      assertHolds(actor, changed, 'granting or withdrawing');
    }
    if (groupIds !== undefined) {
      const current = (await this.deps.db.selectFrom('memberships').innerJoin('groups', 'groups.id', 'memberships.group_id')
        .select('groups.id').where('memberships.account_id', '=', accountId).where('groups.builtin', '=', 0).execute()).map((g) => g.id);
      const changed = [...groupIds.filter((g) => !current.includes(g)), ...current.filter((g) => !groupIds.includes(g))];
      if (!changed.length) return;
      const granted = await this.deps.db.selectFrom('permissions').select('permission')
        .where('subject_type', '=', 'group').where('subject_id', 'in', changed).execute();
      assertHolds(actor, granted.map((g) => g.permission), 'changing membership of a group granting');
    }
  }

  private async assertNotLastSysadmin(accountId: string): Promise<void> {
    const sysadmins = await this.deps.db.selectFrom('memberships').select('account_id').where('group_id', '=', 'sysadmin').execute();
    if (sysadmins.length === 1 && sysadmins[0]!.account_id === accountId) throw new AppError('conflict', 'the last sysadmin cannot be deleted');
  }
}

/** Unfiltered lists up to this many accounts count them exactly; why: an index-only count of 50,000 rows takes a few ms. */
const EXACT_TOTAL_UP_TO = 50_000;

function isUnfiltered(filters: AccountFilters): boolean {
  return filters.email === undefined && filters.type === undefined && filters.group === undefined;
}

/**
 * An estimated total made consistent with the page at hand: exact once the end of the list is in view (a short
 * page), and always more than the accounts shown so far while another page follows, so `next` links stay right.
 */
function boundedEstimate(estimate: number, offset: number, shown: number, more: boolean): number {
  if (more) return Math.max(estimate, offset + shown + 1);
  return shown > 0 || offset === 0 ? offset + shown : Math.min(estimate, offset);
}

/** Validates each permission (naming `permissions.<index>`), then lower-cases (Shiro ignores case) and de-duplicates. */
function normalisePermissions(permissions: string[]): string[] {
  const bad = permissions.findIndex((permission) => !isValidPermission(permission));
  if (bad !== -1) throw invalidField(`permissions.${bad}`, 'is not a permission: parts of letters, digits, _ . - or *, separated by : with , lists');
  return [...new Set(permissions.map((permission) => permission.toLowerCase()))].sort();
}
