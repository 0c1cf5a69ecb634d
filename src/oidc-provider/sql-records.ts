import type { Kysely } from 'kysely';
import type { AdapterPayload } from 'oidc-provider';
import type { Clock } from '../clock.js';
import type { DB } from '../db/types.js';
import { sessionLive, type LookupField, type RecordStore, type RecordToSave } from './adapter.js';

const COLUMNS = { id: 'r.id', uid: 'r.uid', userCode: 'r.user_code' } as const;

/**
 * The provider's records in our own table `oidc_records` (migration 2026_12_06_0007), SQLite and PostgreSQL alike
 * (`oidc.store: database`). `find` is one query: the record joined with its Gatehouse session's row, so a session
 * ended on any node ends its records at once. Expired rows are refused by `find` and removed by the clean-up job.
 */
export class SqlRecordStore implements RecordStore {
  constructor(private readonly db: Kysely<DB>, private readonly clock: Clock) {}

  async save(model: string, id: string, record: RecordToSave): Promise<void> {
    const { payload, expiresAt, sessionId } = record;
    const values = {
      model, id, payload: JSON.stringify(payload), expires_at: expiresAt,
      grant_id: payload.grantId ?? null, uid: payload.uid ?? null, user_code: payload.userCode ?? null, session_id: sessionId ?? null,
    };
    const update = { payload: values.payload, expires_at: expiresAt, grant_id: values.grant_id, uid: values.uid, user_code: values.user_code, ...(sessionId ? { session_id: sessionId } : {}) };
    await this.db.insertInto('oidc_records').values(values)
      .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet(update)).execute();
  }

  async find(model: string, field: LookupField, value: string): Promise<AdapterPayload | undefined> {
    const row = await this.db.selectFrom('oidc_records as r')
      .leftJoin('sessions as s', 's.id', 'r.session_id')
      .select(['r.payload', 'r.expires_at', 'r.session_id', 's.id as live_id', 's.revoked_at', 's.expires_at as session_expires_at'])
      .where('r.model', '=', model).where(COLUMNS[field], '=', value)
      .executeTakeFirst();
    if (!row) return undefined;
    const now = this.clock.now();
    if (row.expires_at !== null && Number(row.expires_at) <= now) return undefined;
    const session = row.live_id === null ? undefined : { revoked_at: row.revoked_at, expires_at: row.session_expires_at };
    if (row.session_id !== null && !sessionLive(session, now)) return undefined;
    return JSON.parse(row.payload) as AdapterPayload;
  }

  /** The update only applies to the payload as read: of two racing requests, one changes the row. */
  async consume(model: string, id: string, at: number): Promise<boolean> {
    const row = await this.db.selectFrom('oidc_records').select('payload').where('model', '=', model).where('id', '=', id).executeTakeFirst();
    if (!row) return false;
    const payload = JSON.parse(row.payload) as AdapterPayload;
    if (payload.consumed) return false;
    const result = await this.db.updateTable('oidc_records').set({ payload: JSON.stringify({ ...payload, consumed: at }) })
      .where('model', '=', model).where('id', '=', id).where('payload', '=', row.payload).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async remove(model: string, id: string): Promise<string | null> {
    const gone = await this.db.deleteFrom('oidc_records').where('model', '=', model).where('id', '=', id).returning('session_id').executeTakeFirst();
    return gone?.session_id ?? null;
  }

  async removeGrant(grantId: string): Promise<void> {
    await this.db.deleteFrom('oidc_records').where('grant_id', '=', grantId).execute();
  }

  async sessionOfGrant(grantId: string): Promise<string | null> {
    const grant = await this.db.selectFrom('oidc_records').select('session_id').where('model', '=', 'Grant').where('id', '=', grantId).executeTakeFirst();
    return grant?.session_id ?? null;
  }

  async bindGrant(grantId: string, sessionUid: string): Promise<void> {
    const browser = await this.db.selectFrom('oidc_records').select('session_id').where('model', '=', 'Session').where('uid', '=', sessionUid).executeTakeFirst();
    if (!browser?.session_id) return;
    await this.db.updateTable('oidc_records').set({ session_id: browser.session_id }).where('model', '=', 'Grant').where('id', '=', grantId).execute();
  }

  /** DELETE … RETURNING: exactly one node takes each row. */
  async takeSessions(sessionIds: string[]): Promise<AdapterPayload[]> {
    const browsers = await this.db.deleteFrom('oidc_records').where('model', '=', 'Session').where('session_id', 'in', sessionIds).returning('payload').execute();
    const grants = await this.db.deleteFrom('oidc_records').where('model', '=', 'Grant').where('session_id', 'in', sessionIds).returning('id').execute();
    if (grants.length) await this.db.deleteFrom('oidc_records').where('grant_id', 'in', grants.map((grant) => grant.id)).execute();
    return browsers.map((row) => JSON.parse(row.payload) as AdapterPayload);
  }

  async close(): Promise<void> {}
}
