import type { Kysely, Selectable, Transaction } from 'kysely';
import type { AuditEventTable, DB } from '../db/types.js';

type Db = Kysely<DB> | Transaction<DB>;
/** A stored security event. */
export type AuditEventRow = Selectable<AuditEventTable>;

/** Which events `GET /audit` asks for: a type (or a prefix ending in "."), an account, a time range (ms). */
export interface AuditFilter {
  type?: string | undefined;
  accountId?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
}

/** One page of events, newest first, and how many match in all; why one function: the count and the page share the filter. */
export async function findAuditEvents(db: Db, filter: AuditFilter, window: { offset: number; limit: number }): Promise<{ total: number; rows: AuditEventRow[] }> {
  let query = db.selectFrom('audit_events');
  if (filter.type !== undefined) query = filter.type.endsWith('.') ? query.where('type', 'like', `${filter.type}%`) : query.where('type', '=', filter.type);
  if (filter.accountId !== undefined) query = query.where('account_id', '=', filter.accountId);
  if (filter.from !== undefined) query = query.where('at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('at', '<', filter.to);
  const [{ total }, rows] = await Promise.all([
    query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
    query.selectAll().orderBy('id', 'desc').offset(window.offset).limit(window.limit).execute(),
  ]);
  return { total: Number(total), rows };
}
