import type { Kysely } from 'kysely';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Clock } from '../clock.js';
import type { DB } from '../db/types.js';

/** Models whose records belong to a grant: they end with the Gatehouse session their grant was made in. */
const GRANT_BOUND = new Set(['AuthorizationCode', 'AccessToken', 'RefreshToken', 'BackchannelAuthenticationRequest', 'DeviceCode']);

/** What the adapter asks of the request it serves (oidc-provider's `Provider.ctx`), kept abstract for tests. */
export interface RequestSessionLink {
  /** The Gatehouse session an interaction just signed in with, when the current request resumes one. */
  signedInSessionId(): string | undefined;
  /** Whether the current request is an RP-initiated logout the person confirmed ("sign me out"). */
  isLogout(): boolean;
  /** Ends a Gatehouse session (RP-initiated logout ends it too, CONTRACT §5). */
  endGatehouseSession(sessionId: string): Promise<void>;
  /** The request being served (a key for what one request carries from a record's removal to its next save). */
  currentRequest(): object | undefined;
}

/** Thrown by `consume` when another request (on any node) consumed the record first. */
export class AlreadyConsumedError extends Error {}

/**
 * node-oidc-provider's storage on our own table `oidc_records` (migration 2026_12_06_0007), SQLite and PostgreSQL
 * alike, so that every node shares codes, tokens, grants, sessions and interactions and a restart keeps them.
 * Why records carry a Gatehouse session: ending that session (logout, an administrator, a password change) must
 * end what was made in it on every node at once, so `find` answers nothing for a record whose session is over.
 */
export function kyselyAdapter(db: Kysely<DB>, clock: Clock, link: RequestSessionLink): (model: string) => Adapter {
  const carried = new WeakMap<object, string>();
  return (model) => new OidcRecords(db, clock, link, model, carried);
}

class OidcRecords implements Adapter {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: Clock,
    private readonly link: RequestSessionLink,
    private readonly model: string,
    /**
     * The Gatehouse session of a browser session whose id the provider just changed (it removes the record under the
     * old id, then saves it under the new one, in one request): the new record keeps the binding.
     */
    private readonly carried: WeakMap<object, string>,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const expiresAt = expiresIn ? this.clock.now() + expiresIn * 1000 : null;
    const sessionId = await this.sessionOf(payload);
    const values = {
      model: this.model, id, payload: JSON.stringify(payload), expires_at: expiresAt,
      grant_id: payload.grantId ?? null, uid: payload.uid ?? null, user_code: payload.userCode ?? null, session_id: sessionId ?? null,
    };
    // A record saved again keeps the session it was bound to unless this save names one (a new sign-in).
    const update = { payload: values.payload, expires_at: expiresAt, grant_id: values.grant_id, uid: values.uid, user_code: values.user_code, ...(sessionId ? { session_id: sessionId } : {}) };
    await this.db.insertInto('oidc_records').values(values)
      .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet(update)).execute();
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.findWhere('id', id);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.findWhere('uid', uid);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.findWhere('user_code', userCode);
  }

  /**
   * Marks a code or refresh token used, exactly once across the cluster: the update only applies to the payload as
   * read, so of two requests racing on two nodes one wins and the other is told (and its grant revoked by the caller).
   */
  async consume(id: string): Promise<void> {
    const row = await this.db.selectFrom('oidc_records').select('payload').where('model', '=', this.model).where('id', '=', id).executeTakeFirst();
    if (!row) throw new AlreadyConsumedError(`${this.model} not found`);
    const payload = JSON.parse(row.payload) as AdapterPayload;
    if (payload.consumed) throw new AlreadyConsumedError(`${this.model} already consumed`);
    const consumed = JSON.stringify({ ...payload, consumed: Math.floor(this.clock.now() / 1000) });
    const result = await this.db.updateTable('oidc_records').set({ payload: consumed })
      .where('model', '=', this.model).where('id', '=', id).where('payload', '=', row.payload).executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw new AlreadyConsumedError(`${this.model} already consumed`);
  }

  async destroy(id: string): Promise<void> {
    const gone = await this.db.deleteFrom('oidc_records').where('model', '=', this.model).where('id', '=', id).returning('session_id').executeTakeFirst();
    // The browser session goes at a confirmed RP-initiated logout: the Gatehouse session it stood for ends with it.
    if (this.model !== 'Session' || !gone?.session_id) return;
    if (this.link.isLogout()) return this.link.endGatehouseSession(gone.session_id);
    const request = this.link.currentRequest();
    if (request) this.carried.set(request, gone.session_id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.db.deleteFrom('oidc_records').where('grant_id', '=', grantId).execute();
  }

  /** One record by a lookup column, unless it expired or the Gatehouse session it belongs to is over. */
  private async findWhere(column: 'id' | 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> {
    const row = await this.db.selectFrom('oidc_records as r')
      .leftJoin('sessions as s', 's.id', 'r.session_id')
      .select(['r.payload', 'r.expires_at', 'r.session_id', 's.id as live_id', 's.revoked_at', 's.expires_at as session_expires_at'])
      .where('r.model', '=', this.model).where(`r.${column}`, '=', value)
      .executeTakeFirst();
    if (!row) return undefined;
    const now = this.clock.now();
    if (row.expires_at !== null && Number(row.expires_at) <= now) return undefined;
    if (row.session_id !== null && !sessionLive(row, now)) return undefined;
    return JSON.parse(row.payload) as AdapterPayload;
  }

  /**
   * The Gatehouse session a record is bound to: a browser session and its grant take the one the resumed
   * interaction signed in with; a code or token takes its grant's.
   */
  private async sessionOf(payload: AdapterPayload): Promise<string | undefined> {
    if (this.model === 'Grant') return this.link.signedInSessionId();
    if (this.model === 'Session') {
      const request = this.link.currentRequest();
      return this.link.signedInSessionId() ?? (request && this.carried.get(request));
    }
    if (!GRANT_BOUND.has(this.model) || !payload.grantId) return undefined;
    const grant = await this.db.selectFrom('oidc_records').select('session_id')
      .where('model', '=', 'Grant').where('id', '=', payload.grantId).executeTakeFirst();
    return grant?.session_id ?? undefined;
  }
}

function sessionLive(row: { live_id: string | null; revoked_at: number | string | null; session_expires_at: number | string | null }, now: number): boolean {
  if (row.live_id === null || row.revoked_at !== null) return false;
  return row.session_expires_at === null || Number(row.session_expires_at) > now;
}

/**
 * Binds a grant made on the consent step to the Gatehouse session of the provider's browser session `sessionUid`.
 * Why after saving: the consent step runs outside the provider's request (no `Provider.ctx`), so the adapter cannot
 * know it; codes and tokens of the grant then take the binding from it (`sessionOf`).
 */
export async function bindGrantToBrowserSession(db: Kysely<DB>, grantId: string, sessionUid: string): Promise<void> {
  const browser = await db.selectFrom('oidc_records').select('session_id').where('model', '=', 'Session').where('uid', '=', sessionUid).executeTakeFirst();
  if (!browser?.session_id) return;
  await db.updateTable('oidc_records').set({ session_id: browser.session_id }).where('model', '=', 'Grant').where('id', '=', grantId).execute();
}
