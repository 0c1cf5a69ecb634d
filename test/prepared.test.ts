import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase, type Database } from '../src/db/database.js';
import { PreparedStatement, transaction } from '../src/db/prepared.js';
import { createTestDatabase, dialects, type TestDatabase } from './helpers/server.js';

/*
 * Prepared statements of the hot paths (src/db/prepared.ts): compiled once per dialect, run with fresh arguments,
 * directly on SQLite when no transaction holds the connection. What matters is that they answer like the query
 * builder and never slip into someone else's transaction.
 */
const insertJob = new PreparedStatement(2, (db, job: string, slot: number) => db.insertInto('job_runs').values({ job, slot, started_at: 0 }));
const jobsNamed = new PreparedStatement(1, (db, job: string) => db.selectFrom('job_runs').select(['job', 'slot']).where('job', '=', job).orderBy('slot'));
const deleteJob = new PreparedStatement(2, (db, job: string, slot: number) => db.deleteFrom('job_runs').where('job', '=', job).where('slot', '=', slot));

describe.each(dialects)('prepared statements on %s', (dialect) => {
  let testDb: TestDatabase;
  let database: Database;

  beforeAll(async () => {
    testDb = await createTestDatabase(dialect);
    database = openDatabase(testDb.url);
    await migrateToLatest(database.db);
  });
  afterAll(async () => {
    await database?.close();
    await testDb?.drop();
  });

  it('runs with each call’s own arguments and answers rows and changed-row counts', async () => {
    const { db } = database;
    expect(await insertJob.run(db, 'a', 1)).toBe(1);
    expect(await insertJob.run(db, 'a', 2)).toBe(1);
    expect(await insertJob.run(db, 'b', 7)).toBe(1);
    expect(await jobsNamed.rows(db, 'a')).toEqual([{ job: 'a', slot: 1 }, { job: 'a', slot: 2 }]);
    expect(await jobsNamed.first(db, 'b')).toEqual({ job: 'b', slot: 7 });
    expect(await jobsNamed.first(db, 'nobody')).toBeUndefined();
    // The same as the query builder answers.
    expect(await db.selectFrom('job_runs').select(['job', 'slot']).where('job', '=', 'a').orderBy('slot').execute()).toEqual(await jobsNamed.rows(db, 'a'));
    expect(await deleteJob.run(db, 'a', 1)).toBe(1);
    expect(await deleteJob.run(db, 'a', 1)).toBe(0);
  });

  it('takes injection strings as plain values', async () => {
    const { db } = database;
    const nasty = "x'); drop table job_runs; --";
    await insertJob.run(db, nasty, 1);
    expect(await jobsNamed.rows(db, nasty)).toEqual([{ job: nasty, slot: 1 }]);
  });

  it('commits a transaction’s statements together, and rolls all back when it throws', async () => {
    const { db } = database;
    await transaction(db, async (trx) => {
      await insertJob.run(trx, 'tx', 1);
      await insertJob.run(trx, 'tx', 2);
    });
    expect(await jobsNamed.rows(db, 'tx')).toHaveLength(2);
    await expect(transaction(db, async (trx) => {
      await insertJob.run(trx, 'tx', 3);
      // The primary key (job, slot) is taken: the whole transaction must go.
      await insertJob.run(trx, 'tx', 1);
    })).rejects.toThrow();
    expect((await jobsNamed.rows(db, 'tx')).map((row) => row.slot)).toEqual([1, 2]);
  });

  it('keeps a statement issued from outside out of an open transaction: it waits, then sees only what was committed', async () => {
    const { db } = database;
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    const open = transaction(db, async (trx) => {
      await insertJob.run(trx, 'iso', 1);
      await held;
      throw new Error('roll back');
    }).catch((error: Error) => error.message);
    // Let the transaction begin and write, then write from outside while it is open.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const outside = insertJob.run(db, 'iso', 2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    expect(await open).toBe('roll back');
    expect(await outside).toBe(1);
    // The outside write survived the rollback, so it was never part of the transaction.
    expect((await jobsNamed.rows(db, 'iso')).map((row) => row.slot)).toEqual([2]);
  });

  it('refuses a statement that does not use every argument it declares', async () => {
    const broken = new PreparedStatement(2, (db, job: string, _slot: number) => db.selectFrom('job_runs').select('job').where('job', '=', job));
    await expect(broken.rows(database.db, 'a', 1)).rejects.toThrow(/takes 2 arguments but uses 1/);
  });

  it('refuses a LIMIT or OFFSET taken as a parameter (SQLite plans such a statement again at every run), and takes a literal one', async () => {
    const { db } = database;
    const boundLimit = new PreparedStatement(1, (db, job: string) => db.selectFrom('job_runs').select('slot').where('job', '=', job).limit(1));
    await expect(boundLimit.rows(db, 'a')).rejects.toThrow(/LIMIT or OFFSET as a parameter/);
    const boundOffset = new PreparedStatement(1, (db, job: string) => db.selectFrom('job_runs').select('slot').where('job', '=', job).limit(sql.lit(5)).offset(1));
    await expect(boundOffset.rows(db, 'a')).rejects.toThrow(/LIMIT or OFFSET as a parameter/);
    const literal = new PreparedStatement(1, (db, job: string) => db.selectFrom('job_runs').select('slot').where('job', '=', job).orderBy('slot').limit(sql.lit(1)));
    await insertJob.run(db, 'limited', 1);
    await insertJob.run(db, 'limited', 2);
    expect(await literal.rows(db, 'limited')).toEqual([{ slot: 1 }]);
  });
});
