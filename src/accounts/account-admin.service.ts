import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock, RandomSource } from '../clock.js';
import type { Config } from '../config/index.js';
import type { DB, SessionRow } from '../db/types.js';
import { AppError, invalidField } from '../http/errors.js';
import type { AssertionJson } from '../http/proof.schemas.js';
import type { SessionService } from '../sessions/session.service.js';
import type { AccessTokens } from '../tokens/access-tokens.js';
import { assertHolds } from '../permissions/grants.js';
import { assertMayManage } from '../permissions/rank.js';
import { isValidPermission } from '../permissions/wildcard.js';
import { findAccountById, findAccountByLogin, findOwnPermissions, loginKey, updateAccountRow } from './account.repository.js';
import type { AccountService, StepUpGate, StepUpProof } from './account.service.js';
import type { Principal } from '../permissions/principal.js';
import { accountViews, type AccountView } from './account.view.js';
import { filteredAccounts, isUnfiltered, type AccountFilters } from './account-filters.js';

export type { AccountFilters } from './account-filters.js';

/** Everything `PUT /accounts/{id}` may change. */
export interface AccountChanges {
  language?: string | null;
  email?: string;
  permissions?: string[];
  groups?: string[];
  confirmed?: boolean;
  password?: string;
  currentPassword?: string;
  code?: string;
  credential?: AssertionJson;
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
  stepUp: StepUpGate;
}

/**
 * The account-server side of accounts (seed 000): lists, changes by administrators, deletion, an account's
 * sessions, and API keys. A user reaches only its own account; everything else needs its permission.
 */
export class AccountAdminService {
  constructor(private readonly deps: AccountAdminDeps) {}

  /**
   * A page of accounts (`accounts:read`), oldest first so pages stay stable while accounts are added.
   * Deferred join: the page's ids come from the (created_at, id) index alone, then only those rows are read. With
   * `after` (a cursor from {@link encodeAccountCursor}) the ids are an index range scan starting past that account, so
   * a page costs the same at any depth; without it a deep page skips `offset` index entries. One row past the page
   * tells whether another page follows, which keeps an estimated total consistent with the `next` link. Returns the
   * cursor of the page's last account for that link.
   */
  async list(actor: Principal, filters: AccountFilters, window: AccountWindow): Promise<{ items: AccountView[]; total: number; after?: string }> {
    this.deps.accounts.requirePermission(actor, 'accounts:read');
    const { offset, limit } = window;
    const position = window.after === undefined ? undefined : decodeAccountCursor(window.after);
    const estimate = isUnfiltered(filters) ? await this.estimatedAccounts() : null;
    const exact = estimate === null || estimate <= EXACT_TOTAL_UP_TO;
    const [rows, counted] = await Promise.all([
      this.pageRows(filters, position, offset, limit),
      exact ? this.filtered(filters).select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow() : undefined,
    ]);
    const page = rows.slice(0, limit);
    const total = counted ? Number(counted.total) : boundedEstimate(estimate!, offset, page.length, rows.length > limit);
    const last = page.at(-1);
    return { items: await accountViews(this.deps.db, page), total, after: last && encodeAccountCursor(last.created_at, last.id) };
  }

  /**
   * A page of accounts (`accounts:read`) in the same order as {@link list}, without a total: the admin console's list.
   * Why no count: a count of a filtered million reads every match, where the page reads only its own index entries,
   * so a page costs the same at any depth and under any filter. `more` says whether another page follows `after`.
   */
  async browse(actor: Principal, filters: AccountFilters, limit: number, after?: string): Promise<{ items: AccountView[]; after?: string; more: boolean }> {
    this.deps.accounts.requirePermission(actor, 'accounts:read');
    const rows = await this.pageRows(filters, after === undefined ? undefined : decodeAccountCursor(after), 0, limit);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { items: await accountViews(this.deps.db, page), after: last && encodeAccountCursor(last.created_at, last.id), more: rows.length > limit };
  }

  /** The rows of a page, plus one (deferred join, see {@link list}). */
  private pageRows(filters: AccountFilters, position: AccountPosition | undefined, offset: number, limit: number) {
    const ids = this.pageIds(filters, position, offset, limit);
    return this.deps.db.selectFrom('accounts').selectAll().where('accounts.id', 'in', ids).orderBy('created_at').orderBy('id').execute();
  }

  /**
   * The ids of a page, plus one. Why a row-value comparison: `(created_at, id) > (?, ?)` is an index range scan on
   * both SQLite and PostgreSQL, where the expanded `created_at > ? or (created_at = ? and id > ?)` scans the index.
   */
  private pageIds(filters: AccountFilters, position: AccountPosition | undefined, offset: number, limit: number) {
    const ordered = this.filtered(filters).select('accounts.id').orderBy('accounts.created_at').orderBy('accounts.id').limit(limit + 1);
    if (!position) return ordered.offset(offset);
    return ordered.where((eb) => eb(eb.refTuple('accounts.created_at', 'accounts.id'), '>', eb.tuple(position.createdAt, position.id)));
  }

  private filtered(filters: AccountFilters) {
    return filteredAccounts(this.deps.db, filters);
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
   * account (a user changes its e-mail through the confirmed change-email flow). Another's account only at or below
   * one's rank (CONTRACT §3). Every check runs before a write.
   */
  async update(actor: Principal, accountId: string, input: AccountChanges, keepSession: boolean): Promise<AccountView> {
    const changes = { ...input, permissions: input.permissions && normalisePermissions(input.permissions) };
    const administrative = changes.email !== undefined || changes.permissions !== undefined || changes.groups !== undefined || changes.confirmed !== undefined;
    if (administrative || accountId !== actor.accountId) this.deps.accounts.requirePermission(actor, 'accounts:write');
    if (!(await findAccountById(this.deps.db, accountId))) throw new AppError('not-found', 'account not found');
    await assertMayManage(this.deps.accounts, actor, accountId);
    if (changes.email !== undefined) await this.assertEmailFree(changes.email, accountId);
    const groupIds = changes.groups === undefined ? undefined : await this.ordinaryGroupIds(changes.groups);
    await this.assertNoEscalation(actor, accountId, changes.permissions, groupIds);
    if (changes.password !== undefined || changes.language !== undefined) {
      await this.deps.accounts.update(actor, accountId, { password: changes.password, currentPassword: changes.currentPassword, code: changes.code, credential: changes.credential, language: changes.language }, keepSession);
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
    if (changes.email !== undefined) await this.deps.accounts.voidOneTimeTokens(accountId, { type: 'email-changed' });
    if (administrative) await this.deps.audit.record('account.updated', { accountId, data: { by: actor.accountId, fields: changedFields(changes) } });
    return this.deps.accounts.view(accountId);
  }

  /**
   * Deletes an account (one's own, or with `accounts:delete` and at or above its rank): every session ends first, on this node's caches too.
   * The last sysadmin cannot be deleted, so the server never loses its administrator.
   */
  async delete(actor: Principal, accountId: string, proof: StepUpProof = {}): Promise<void> {
    if (accountId !== actor.accountId) this.deps.accounts.requirePermission(actor, 'accounts:delete');
    // One's own account with a second factor: step-up (CONTRACT §5), so a stolen session alone cannot delete it.
    else if (await this.deps.stepUp.hasFactor(accountId)) await this.deps.stepUp.assertStepUp(accountId, proof);
    if (!(await findAccountById(this.deps.db, accountId))) throw new AppError('not-found', 'account not found');
    await assertMayManage(this.deps.accounts, actor, accountId);
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
    await this.assertMayReadSessions(actor, accountId);
    return this.deps.sessions.listLive(accountId);
  }

  /** One live session of an account; someone else's session answers like a missing one. */
  async sessionOf(actor: Principal, accountId: string, sessionId: string): Promise<SessionRow> {
    await this.assertMayReadSessions(actor, accountId);
    return this.deps.sessions.ownLive(accountId, sessionId);
  }

  /** Ends one session of an account: one's own, or with `sessions:delete` and at or above its rank. */
  async endSession(actor: Principal, accountId: string, sessionId: string): Promise<void> {
    if (accountId !== actor.accountId) this.deps.accounts.requirePermission(actor, 'sessions:delete');
    await this.deps.sessions.ownLive(accountId, sessionId);
    await assertMayManage(this.deps.accounts, actor, accountId);
    await this.deps.sessions.revoke(sessionId);
    await this.deps.audit.record('session.revoked', { accountId, sessionId, data: { by: actor.accountId } });
  }

  private async assertMayReadSessions(actor: Principal, accountId: string): Promise<void> {
    if (accountId !== actor.accountId) this.deps.accounts.requirePermission(actor, 'sessions:read');
    if (!(await findAccountById(this.deps.db, accountId))) throw new AppError('not-found', 'account not found');
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

/**
 * Where a page of `GET /accounts` starts: `offset` entries in, or just past the account an `after` cursor names
 * (`offset` then only labels the page for an estimated total).
 */
export interface AccountWindow {
  offset: number;
  limit: number;
  after?: string;
}

/** A position in the (created_at, id) order of accounts. */
interface AccountPosition {
  createdAt: number;
  id: string;
}

const CURSOR_TEXT = /^[A-Za-z0-9_-]{1,100}$/;
const CURSOR_POSITION = /^(0|[1-9][0-9]{0,15})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/**
 * The `after` cursor naming an account's place in the list: base64url of `<createdAt>.<id>`. Why opaque: clients
 * copy it from the `next` link rather than build it, so its form may change. It is a position, not a credential.
 */
function encodeAccountCursor(createdAt: number, id: string): string {
  return Buffer.from(`${createdAt}.${id}`).toString('base64url');
}

/** Reads an `after` cursor; anything not exactly in the form {@link encodeAccountCursor} writes is a 400 naming `after`. */
function decodeAccountCursor(cursor: string): AccountPosition {
  // Node's base64url decoder skips characters it does not know, so only a canonical encoding is accepted.
  const text = CURSOR_TEXT.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const match = CURSOR_POSITION.exec(text);
  const createdAt = Number(match?.[1]);
  if (!match || !Number.isSafeInteger(createdAt) || encodeAccountCursor(createdAt, match[2]!) !== cursor) {
    throw invalidField('after', 'is not a cursor from a next link of GET /accounts');
  }
  return { createdAt, id: match[2]! };
}

/** Unfiltered lists up to this many accounts count them exactly; why: an index-only count of 50,000 rows takes a few ms. */
const EXACT_TOTAL_UP_TO = 50_000;

/**
 * An estimated total made consistent with the page at hand: exact once the end of the list is in view (a short
 * page), and always more than the accounts shown so far while another page follows, so `next` links stay right.
 */
function boundedEstimate(estimate: number, offset: number, shown: number, more: boolean): number {
  if (more) return Math.max(estimate, offset + shown + 1);
  return shown > 0 || offset === 0 ? offset + shown : Math.min(estimate, offset);
}

/** The fields a change sets, for its audit event: never a password, never a field left out (present but undefined). */
function changedFields(changes: AccountChanges): string[] {
  return Object.entries(changes).filter(([key, value]) => value !== undefined && !key.toLowerCase().includes('password')).map(([key]) => key);
}

/** Validates each permission (naming `permissions.<index>`), then lower-cases (Shiro ignores case) and de-duplicates. */
function normalisePermissions(permissions: string[]): string[] {
  const bad = permissions.findIndex((permission) => !isValidPermission(permission));
  if (bad !== -1) throw invalidField(`permissions.${bad}`, 'is not a permission: parts of letters, digits, _ . - or *, separated by : with , lists');
  return [...new Set(permissions.map((permission) => permission.toLowerCase()))].sort();
}
