import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { PreparedStatement } from '../db/prepared.js';
import type { AdapterPayload } from 'oidc-provider';
import type { Clock } from '../clock.js';
import type { DB } from '../db/types.js';
import { sessionLive, type LookupField, type RecordStore, type RecordToSave } from './adapter.js';


/**
 * The provider's records in our own table `oidc_records` (migration 2026_12_06_0007), SQLite and PostgreSQL alike
 * (`oidc.store: database`). `find` is one query: the record joined with its Gatehouse session's row, so a session
 * ended on any node ends its records at once. Expired rows are refused by `find` and removed by the clean-up job.
 * The statements every grant runs (find, save, consume, a grant's session) are prepared once (db/prepared.ts): a code
 * exchange runs eight of them, and building and compiling each with Kysely cost about a seventh of its CPU (profiled).
 */
export class SqlRecordStore implements RecordStore {
  constructor(private readonly db: Kysely<DB>, private readonly clock: Clock) {}

  async save(model: string, id: string, record: RecordToSave): Promise<void> {
    const { payload, expiresAt, sessionId, grantRequired } = record;
    const statement = upserts[`${sessionId ? 'binding' : 'keeping'}${grantRequired ? 'WhileGrantExists' : ''}`];
    await statement.run(this.db, model, id, JSON.stringify(payload), expiresAt, payload.grantId ?? null, payload.uid ?? null, payload.userCode ?? null, sessionId ?? null);
  }

  async find(model: string, field: LookupField, value: string): Promise<AdapterPayload | undefined> {
    const row = await recordBy[field].first(this.db, model, value);
    if (!row) return undefined;
    const now = this.clock.now();
    if (row.expires_at !== null && Number(row.expires_at) <= now) return undefined;
    const session = row.live_id === null ? undefined : { revoked_at: row.revoked_at, expires_at: row.session_expires_at };
    if (row.session_id !== null && !sessionLive(session, now)) return undefined;
    return JSON.parse(row.payload) as AdapterPayload;
  }

  /** The update only applies to the payload as read: of two racing requests, one changes the row. */
  async consume(model: string, id: string, at: number): Promise<boolean> {
    const row = await payloadById.first(this.db, model, id);
    if (!row) return false;
    const payload = JSON.parse(row.payload) as AdapterPayload;
    if (payload.consumed) return false;
    return (await payloadSwap.run(this.db, JSON.stringify({ ...payload, consumed: at }), model, id, row.payload)) === 1;
  }

  async remove(model: string, id: string): Promise<string | null> {
    const gone = await this.db.deleteFrom('oidc_records').where('model', '=', model).where('id', '=', id).returning('session_id').executeTakeFirst();
    return gone?.session_id ?? null;
  }

  async removeGrant(grantId: string): Promise<void> {
    await this.db.deleteFrom('oidc_records').where('grant_id', '=', grantId).execute();
  }

  async sessionOfGrant(grantId: string): Promise<string | null> {
    return (await grantSession.first(this.db, grantId))?.session_id ?? null;
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

/** The record with its Gatehouse session's liveness, by each field oidc-provider looks records up by. */
function recordLookup(column: 'r.id' | 'r.uid' | 'r.user_code') {
  return new PreparedStatement(2, (db, model: string, value: string) => db.selectFrom('oidc_records as r')
    .leftJoin('sessions as s', 's.id', 'r.session_id')
    .select(['r.payload', 'r.expires_at', 'r.session_id', 's.id as live_id', 's.revoked_at', 's.expires_at as session_expires_at'])
    .where('r.model', '=', model).where(column, '=', value));
}

const recordBy: Record<LookupField, ReturnType<typeof recordLookup>> = { id: recordLookup('r.id'), uid: recordLookup('r.uid'), userCode: recordLookup('r.user_code') };

type RecordValues = [model: string, id: string, payload: string, expiresAt: number | null, grantId: string | null, uid: string | null, userCode: string | null, sessionId: string | null];

/**
 * An insert-or-replace of a record. `binding`: the save names the Gatehouse session (a new sign-in, or a token of a
 * bound grant) and binds the record; else a new record is unbound and a saved one keeps its binding.
 * `whileGrantExists`: one statement that writes nothing once the grant is gone, so a token issued while another node
 * revoked its grant (the loser of a code race) is not left behind.
 */
function upsert(binding: boolean, whileGrantExists: boolean) {
  return new PreparedStatement(8, (db, ...[model, id, payload, expires_at, grant_id, uid, user_code, session_id]: RecordValues) => {
    const replaced = binding ? { payload, expires_at, grant_id, uid, user_code, session_id } : { payload, expires_at, grant_id, uid, user_code };
    // `session_id` is null when the save names no session (`keeping`).
    const values = { model, id, payload, expires_at, grant_id, uid, user_code, session_id };
    const insert = whileGrantExists
      ? db.insertInto('oidc_records').columns(RECORD_COLUMNS).expression(grantRow(db, grant_id)
        .select(RECORD_COLUMNS.map((column) => sql`cast(${values[column]} as ${sql.raw(column === 'expires_at' ? 'bigint' : 'text')})`.as(column))))
      : db.insertInto('oidc_records').values(values);
    return insert.onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet(replaced));
  });
}

/**
 * The grant's row, for an insert that happens only while it exists. On PostgreSQL it is locked (`FOR KEY SHARE`): a
 * concurrent removal of the grant then waits for this insert, and the removal of the grant's records that follows it
 * sees the new row. SQLite runs one writer at a time.
 */
function grantRow(db: Kysely<DB>, grantId: string | null) {
  const row = db.selectFrom('oidc_records').where('model', '=', 'Grant').where('id', '=', grantId);
  return db.getExecutor().adapter instanceof PostgresAdapter ? row.forKeyShare() : row;
}

const RECORD_COLUMNS = ['model', 'id', 'payload', 'expires_at', 'grant_id', 'uid', 'user_code', 'session_id'] as const;

const upserts = {
  binding: upsert(true, false), keeping: upsert(false, false),
  bindingWhileGrantExists: upsert(true, true), keepingWhileGrantExists: upsert(false, true),
};

const payloadById = new PreparedStatement(2, (db, model: string, id: string) =>
  db.selectFrom('oidc_records').select('payload').where('model', '=', model).where('id', '=', id));

/** Compare-and-set: changes the row only if its payload is still the one read. */
const payloadSwap = new PreparedStatement(4, (db, payload: string, model: string, id: string, read: string) =>
  db.updateTable('oidc_records').set({ payload }).where('model', '=', model).where('id', '=', id).where('payload', '=', read));

const grantSession = new PreparedStatement(1, (db, grantId: string) =>
  db.selectFrom('oidc_records').select('session_id').where('model', '=', 'Grant').where('id', '=', grantId));
