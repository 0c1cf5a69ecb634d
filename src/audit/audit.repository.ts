import type { Kysely, Selectable, Transaction } from 'kysely';
import type { AuditEventTable, DB } from '../db/types.js';

type Db = Kysely<DB> | Transaction<DB>;
/** A stored security event. */
export type AuditEventRow = Selectable<AuditEventTable>;

/** Which events `GET /audit` asks for: a type (or a prefix ending in "."), an account, an actor, a time range (ms). */
export interface AuditFilter {
  type?: string | undefined;
  accountId?: string | undefined;
  /** Who did it: the `by` of the event's data (an account id, or `cli`); must be a uuid or `cli` (AUDIT_ACTOR). */
  actor?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
}

/** What an actor filter may be: an account id or `cli` — nothing a LIKE pattern could read as a wildcard. */
export const AUDIT_ACTOR = '^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|cli)$';

/** One page of events, newest first, and how many match in all; why one function: the count and the page share the filter. */
export async function findAuditEvents(db: Db, filter: AuditFilter, window: { offset: number; limit: number }): Promise<{ total: number; rows: AuditEventRow[] }> {
  let query = db.selectFrom('audit_events');
  if (filter.type !== undefined) query = filter.type.endsWith('.') ? query.where('type', 'like', `${filter.type}%`) : query.where('type', '=', filter.type);
  if (filter.accountId !== undefined) query = query.where('account_id', '=', filter.accountId);
  // The data is JSON.stringify's text (no spaces), and an actor is a uuid or `cli`, so the pattern has no wildcard
  // of its own and matches the `by` member exactly, the same on both dialects.
  if (filter.actor !== undefined) query = query.where('data', 'like', `%"by":"${filter.actor}"%`);
  if (filter.from !== undefined) query = query.where('at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('at', '<', filter.to);
  const [{ total }, rows] = await Promise.all([
    query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
    query.selectAll().orderBy('id', 'desc').offset(window.offset).limit(window.limit).execute(),
  ]);
  return { total: Number(total), rows };
}
