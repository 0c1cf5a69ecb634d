import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.js';

/*
 * `/readyz` fails while the database cannot take a write (issue 14, item 9): a full disk still answers
 * `select 1`. SQLite: the database lives on a tmpfs of its own, which the test fills up for real (the suites run
 * as root, as on this project's machines). PostgreSQL: the server's disk is not ours to fill, so a trigger in the
 * test's own schema fails every write of the probe with PostgreSQL's own disk-full error (SQLSTATE 53100).
 */

/** Writes zeros until the file system is full; returns the filler's path. */
function fillUp(dir: string): string {
  const filler = join(dir, 'filler');
  const fd = openSync(filler, 'w');
  const block = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  return filler;
}

describe('/readyz on SQLite with a full disk', () => {
  let mountPoint: string;
  let server: TestServer;
  beforeAll(async () => {
    mountPoint = mkdtempSync(join(tmpdir(), 'gatehouse-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0700', 'tmpfs', mountPoint]);
    server = await startServer('sqlite', {
      database: { url: `sqlite:${join(mountPoint, 'gatehouse.db')}`, drop: async () => undefined },
    });
  });
  afterAll(async () => {
    await server?.close();
    execFileSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  it('answers 200 while the database takes writes, 503 once the disk is full, and 200 again when space is back', async () => {
    expect((await server.request('GET', '/readyz')).status).toBe(200);
    const filler = fillUp(mountPoint);
    server.clock.advance(1000);
    // Reads still work: the old `select 1` check said ready here.
    await sql`select 1`.execute(server.app.services.database.db);
    const full = await server.request('GET', '/readyz');
    expect(full.status, full.text).toBe(503);
    expect(full.body).toMatchObject({ code: 'unavailable' });
    expect((await server.request('GET', '/healthz')).status).toBe(200);
    rmSync(filler);
    server.clock.advance(1000);
    expect((await server.request('GET', '/readyz')).status).toBe(200);
  });
});

describe('/readyz on PostgreSQL when writes fail', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer('postgres');
  });
  afterAll(async () => server?.close());

  it('answers 503 while every write fails with disk_full, and 200 otherwise', async () => {
    const db = server.app.services.database.db;
    expect((await server.request('GET', '/readyz')).status).toBe(200);
    await sql`create function refuse_writes() returns trigger language plpgsql as $$
      begin raise exception 'could not extend file: No space left on device' using errcode = 'disk_full'; end $$`.execute(db);
    await sql`create trigger refuse_writes before insert or update on readiness_probe for each row execute function refuse_writes()`.execute(db);
    server.clock.advance(1000);
    const full = await server.request('GET', '/readyz');
    expect(full.status, full.text).toBe(503);
    expect(full.body).toMatchObject({ code: 'unavailable' });
    await sql`drop trigger refuse_writes on readiness_probe`.execute(db);
    server.clock.advance(1000);
    expect((await server.request('GET', '/readyz')).status).toBe(200);
  });

  it('writes at most once a second however often it is asked', async () => {
    const db = server.app.services.database.db;
    server.clock.advance(1000);
    expect((await server.request('GET', '/readyz')).status).toBe(200);
    const first = await db.selectFrom('readiness_probe').select('probed_at').executeTakeFirstOrThrow();
    await sql`create function count_probe_writes() returns trigger language plpgsql as $$
      begin raise exception 'a second write within the second'; end $$`.execute(db);
    await sql`create trigger count_probe_writes before update on readiness_probe for each row execute function count_probe_writes()`.execute(db);
    try {
      server.clock.advance(999);
      const answers = await Promise.all(Array.from({ length: 10 }, () => server.request('GET', '/readyz')));
      expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    } finally {
      await sql`drop trigger count_probe_writes on readiness_probe`.execute(db);
    }
    expect(await db.selectFrom('readiness_probe').select('probed_at').executeTakeFirstOrThrow()).toEqual(first);
  });
});
