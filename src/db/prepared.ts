import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type SQLite from 'better-sqlite3';
import type pg from 'pg';
import type { DB } from './types.js';

type Db = Kysely<DB> | Transaction<DB>;

/** Stands where an argument goes while a statement is compiled; found again among the compiled parameters. */
class Slot {
  constructor(readonly index: number) {}
}

/**
 * A query builder, or a raw `sql` template (whose `compile` needs the instance; builders ignore it).
 */
interface Buildable<Row> {
  compile(executorProvider: Kysely<DB>): CompiledQuery<Row>;
}

/** A statement as compiled for one dialect: its SQL, and per parameter a fixed value or the argument it takes. */
interface Compiled {
  sql: string;
  parameters: ReadonlyArray<unknown>;
}

/** The better-sqlite3 handle behind a root Kysely instance, for running statements without Kysely's machinery. */
export interface DirectSqlite {
  sqlite: SQLite.Database;
  prepare(sql: string): SQLite.Statement;
  /** True for the instance of a {@link transaction} on it: it holds the connection, so it may use it at any time. */
  holdsConnection?: boolean;
}

const directHandles = new WeakMap<Db, DirectSqlite>();
const directPools = new WeakMap<Db, pg.Pool>();

/** Lets statements run directly on this SQLite database (db/database.ts calls it for every SQLite database it opens). */
export function registerDirectSqlite(db: Kysely<DB>, handle: DirectSqlite): void {
  directHandles.set(db, handle);
}

/** Lets statements outside transactions run as named (server-side prepared) statements on this PostgreSQL pool. */
export function registerDirectPostgres(db: Kysely<DB>, pool: pg.Pool): void {
  directPools.set(db, pool);
}

/** `limit ?` / `offset $2`: see {@link PreparedStatement}'s compile. */
const BOUND_LIMIT = /\b(?:limit|offset) (?:\?|\$\d+)/i;

/** Names of PostgreSQL prepared statements: one per statement and dialect, unique in the process. */
let statementCount = 0;

/**
 * A statement of the hot paths (login, refresh), built with Kysely's query builder once per dialect and then run with
 * fresh arguments. Why: building and compiling the query, the connection mutex and the result pipeline cost more
 * than SQLite's own work for these single-row statements (a third of the refresh path's main thread, by `perf`).
 *
 * On SQLite, outside any transaction, the statement runs at once on the better-sqlite3 handle: synchronous, and
 * atomic like every SQLite statement. While a transaction holds the connection (`sqlite.inTransaction`) it goes
 * through Kysely's executor with the compiled SQL, so it waits its turn exactly like any other query. On
 * PostgreSQL, outside a transaction, it is a named statement on the pool: each connection parses and plans it once.
 * Inside a transaction it runs on the transaction's connection through Kysely.
 */
export class PreparedStatement<Args extends unknown[], Row> {
  private readonly compiled = new Map<unknown, Compiled>();
  private readonly name = `gatehouse_${++statementCount}`;

  /** `build` receives stand-ins for the arguments and must use each where the query takes a value. */
  constructor(
    private readonly arity: Args['length'],
    private readonly build: (db: Kysely<DB>, ...args: Args) => Buildable<Row>,
  ) {}

  /** Every row. */
  async rows(db: Db, ...args: Args): Promise<Row[]> {
    return (await this.execute(db, args, 'rows')).rows;
  }

  /** The first row, or undefined. */
  async first(db: Db, ...args: Args): Promise<Row | undefined> {
    return (await this.rows(db, ...args))[0];
  }

  /** Runs an INSERT, UPDATE or DELETE; answers the number of rows it changed. */
  async run(db: Db, ...args: Args): Promise<number> {
    return (await this.execute(db, args, 'changes')).changes;
  }

  /** Runs the statement the fastest way `db` allows now (see the class comment). */
  private async execute(db: Db, args: Args, answer: 'rows' | 'changes'): Promise<{ rows: Row[]; changes: number }> {
    const { sql, parameters } = this.bind(db, args);
    const direct = directHandle(db);
    if (direct) {
      const statement = direct.prepare(sql);
      return answer === 'rows' ? { rows: statement.all(parameters) as Row[], changes: 0 } : { rows: [], changes: statement.run(parameters).changes };
    }
    const pool = directPools.get(db);
    if (pool) {
      const result = await pool.query({ name: this.name, text: sql, values: parameters as unknown[] });
      return { rows: result.rows as Row[], changes: result.rowCount ?? 0 };
    }
    const result = await db.executeQuery<Row>(CompiledQuery.raw(sql, parameters as unknown[]));
    return { rows: result.rows, changes: Number(result.numAffectedRows ?? 0) };
  }

  /** The dialect's SQL and this call's parameters. */
  private bind(db: Db, args: Args): Compiled {
    const adapter = db.getExecutor().adapter.constructor;
    let compiled = this.compiled.get(adapter);
    if (!compiled) {
      compiled = this.compile(db);
      this.compiled.set(adapter, compiled);
    }
    return { sql: compiled.sql, parameters: compiled.parameters.map((value) => (value instanceof Slot ? args[value.index] : value)) };
  }

  private compile(db: Db): Compiled {
    const slots = Array.from({ length: this.arity }, (_, index) => new Slot(index));
    const { sql, parameters } = this.build(db, ...(slots as unknown as Args)).compile(db);
    const used = new Set(parameters.filter((value): value is Slot => value instanceof Slot).map((slot) => slot.index));
    // An argument the SQL never takes would be silently ignored: a bug in `build`, caught at first use.
    if (used.size !== this.arity) throw new Error(`prepared statement takes ${this.arity} arguments but uses ${used.size}: ${sql}`);
    // SQLite plans a statement whose LIMIT or OFFSET is a parameter again at every run (measured: 11 µs against
    // 5 µs for one row of accounts); a constant belongs in the SQL, `sql.lit(n)`.
    if (BOUND_LIMIT.test(sql)) throw new Error(`prepared statement takes its LIMIT or OFFSET as a parameter; write it with sql.lit: ${sql}`);
    return { sql, parameters };
  }
}

/**
 * The direct SQLite handle when a statement may run on it now: the instance of a transaction, or a root instance
 * with no transaction open.
 */
function directHandle(db: Db): DirectSqlite | undefined {
  const handle = directHandles.get(db);
  return handle && (handle.holdsConnection || !handle.sqlite.inTransaction) ? handle : undefined;
}

/**
 * Runs `work` in one transaction and answers its result; a throw rolls it back. Prepared statements given the
 * instance `work` receives run directly. On SQLite the transaction holds Kysely's connection (so every other query
 * waits for it, as with `db.transaction()`) and begins and ends on the direct handle. Why: on the refresh path
 * Kysely's BEGIN, COMMIT and three statements through its executor cost more than the rest of the rotation.
 */
export async function transaction<T>(db: Kysely<DB>, work: (trx: Db) => Promise<T>): Promise<T> {
  const handle = directHandles.get(db);
  if (!handle) return db.transaction().execute(work);
  return db.connection().execute(async (connection) => {
    directHandles.set(connection, { ...handle, holdsConnection: true });
    handle.prepare('BEGIN').run();
    try {
      const result = await work(connection);
      handle.prepare('COMMIT').run();
      return result;
    } catch (error) {
      // SQLite may already have rolled back on its own (some errors end the transaction).
      if (handle.sqlite.inTransaction) handle.prepare('ROLLBACK').run();
      throw error;
    } finally {
      directHandles.delete(connection);
    }
  });
}
