import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock, RandomSource } from '../clock.js';
import type { DB } from '../db/types.js';
import { AppError, invalidField } from '../http/errors.js';
import { sha256 } from '../util/hashing.js';
import {
  bindInvite, claimInvite, deleteUnusedInvite, findUnusedInvite, findUnusedInviteById, insertInvites, listUnusedInvites, releaseInvite, type InviteRow,
} from './invite.repository.js';

/** An unused invite as `GET /invites` shows it: never the code, which exists in clear only in the answer that created it. */
export interface InviteView {
  id: string;
  createdAt: string;
  createdBy: string | null;
}

/** What the invite service needs. */
export interface InviteServiceDeps {
  db: Kysely<DB>;
  clock: Clock;
  random: RandomSource;
  audit: Pick<AuditLog, 'record'>;
}

/** Who creates or withdraws invites: the account and session of the caller (a Principal has both). */
export interface InviteActor {
  accountId: string;
  sessionId: string;
}

/** The most invites one request may create. */
export const MAX_INVITES_PER_REQUEST = 100;

/** The shape of a code this service hands out (43 base64url characters); anything else is refused before any lookup. */
const CODE_SHAPE = /^[A-Za-z0-9_-]{20,128}$/;

/**
 * Invitation codes for `signup.inviteOnly`: 256 random bits each, stored as SHA-256 (DESIGN "Secrets at rest"),
 * used once. Registration checks a code first, claims it only after every other check passed, and releases it
 * when the account cannot be created, so a failed registration never burns an invite.
 */
export class InviteService {
  constructor(private readonly deps: InviteServiceDeps) {}

  /**
   * Creates `count` invites and returns their codes in clear — the only time they exist in clear. Audited as
   * `invite.created` under the creator with `by` and the new invites' ids (never a code: the log is no place for one).
   */
  async create(count: number, actor: InviteActor): Promise<string[]> {
    if (!Number.isInteger(count) || count < 1 || count > MAX_INVITES_PER_REQUEST) throw invalidField('count', `must be an integer from 1 to ${MAX_INVITES_PER_REQUEST}`);
    const now = this.deps.clock.now();
    const codes = Array.from({ length: count }, () => this.deps.random.bytes(32).toString('base64url'));
    const rows = codes.map((code) => ({
      id: this.deps.random.uuid(), code_hash: sha256(code), created_at: now, created_by: actor.accountId, used_at: null, used_by: null,
    }));
    await insertInvites(this.deps.db, rows);
    await this.record('invite.created', actor, { count, invites: rows.map((row) => row.id) });
    return codes;
  }

  /** A page of the unused invites. */
  async listUnused(offset: number, limit: number): Promise<{ items: InviteView[]; total: number }> {
    const { rows, total } = await listUnusedInvites(this.deps.db, offset, limit);
    return { items: rows.map(inviteView), total };
  }

  /** One unused invite; `not-found` when unknown or already used. */
  async findUnused(id: string): Promise<InviteView> {
    const row = await findUnusedInviteById(this.deps.db, id);
    if (!row) throw new AppError('not-found', 'no unused invite with this id');
    return inviteView(row);
  }

  /** Withdraws an unused invite (a code handed to the wrong person), audited as `invite.revoked`; `not-found` when unknown or already used. */
  async revoke(id: string, actor: InviteActor): Promise<void> {
    if (!(await deleteUnusedInvite(this.deps.db, id))) throw new AppError('not-found', 'no unused invite with this id');
    await this.record('invite.revoked', actor, { invite: id });
  }

  /** Throws `invalid-request` naming `invite` unless the code is a known, unused invite. Claims nothing. */
  async assertUsable(code: string | undefined): Promise<void> {
    if (code === undefined || code === '') throw invalidField('invite', 'is required: registration is by invitation only');
    if (!CODE_SHAPE.test(code) || !(await findUnusedInvite(this.deps.db, sha256(code)))) throw invalidField('invite', 'is invalid or already used');
  }

  /** Marks the invite used (atomically: of concurrent claims exactly one wins); returns its id, or throws naming `invite`. */
  async claim(code: string): Promise<string> {
    const id = CODE_SHAPE.test(code) ? await claimInvite(this.deps.db, sha256(code), this.deps.clock.now()) : null;
    if (id === null) throw invalidField('invite', 'is invalid or already used');
    return id;
  }

  /** Records the account a claimed invite created. */
  async bind(id: string, accountId: string): Promise<void> {
    await bindInvite(this.deps.db, id, accountId);
  }

  /** Returns a claimed invite whose registration failed, so the code works again. */
  async release(id: string): Promise<void> {
    await releaseInvite(this.deps.db, id);
  }

  /** Invite changes go to the audit log under the account that made them, as client changes do (`by` names it too). */
  private record(type: 'invite.created' | 'invite.revoked', actor: InviteActor, data: Record<string, unknown>): Promise<void> {
    return this.deps.audit.record(type, { accountId: actor.accountId, sessionId: actor.sessionId, data: { by: actor.accountId, ...data } });
  }
}

function inviteView(row: InviteRow): InviteView {
  return { id: row.id, createdAt: new Date(row.created_at).toISOString(), createdBy: row.created_by };
}
