import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresAdapter, PostgresDialect, sql, SqliteDialect, type Migration, type MigrationProvider } from 'kysely';
import pg from 'pg';
import * as initial from './migrations/2026_11_22_0001_initial.js';
import * as loginAttempts from './migrations/2026_11_22_0002_login_attempts.js';
import * as usedCredentials from './migrations/2026_11_22_0003_used_credentials.js';
import * as opaqueTokens from './migrations/2026_11_22_0004_opaque_tokens.js';
import * as jobRuns from './migrations/2026_11_22_0005_job_runs.js';
import * as accountsListing from './migrations/2026_11_22_0006_accounts_listing.js';
import * as samlPendingRequests from './migrations/2026_12_06_0001_saml_pending_requests.js';
import * as readinessProbe from './migrations/2026_12_06_0002_readiness_probe.js';
import * as mfa from './migrations/2026_12_06_0003_mfa.js';
import * as mfaSignIn from './migrations/2026_12_06_0004_mfa_sign_in.js';
import * as webauthnChallenges from './migrations/2026_12_06_0005_webauthn_challenges.js';
import * as clientName from './migrations/2026_12_06_0006_client_name.js';
import * as oidcProvider from './migrations/2026_12_06_0007_oidc_provider.js';
import * as accountSearch from './migrations/2026_12_07_0001_account_search.js';
import { registerDirectPostgres, registerDirectSqlite } from './prepared.js';
import type { DB } from './types.js';
import { LruCache } from '../util/lru.js';

/** Which SQL engine is behind the Kysely instance; a few statements (upserts, locks) differ. */
export type DialectName = 'sqlite' | 'postgres';

/** An open database: the query builder plus what is needed to close it. */
export interface Database {
  db: Kysely<DB>;
  dialect: DialectName;
  close(): Promise<void>;
}

/** Migrations are imported, not read from disk, so the built `dist/` and the tests run the same list. */
const migrations: Record<string, Migration> = {
  '2026_11_22_0001_initial': initial,
  '2026_11_22_0002_login_attempts': loginAttempts,
  '2026_11_22_0003_used_credentials': usedCredentials,
  '2026_11_22_0004_opaque_tokens': opaqueTokens,
  '2026_11_22_0005_job_runs': jobRuns,
  '2026_11_22_0006_accounts_listing': accountsListing,
  '2026_12_06_0001_saml_pending_requests': samlPendingRequests,
  '2026_12_06_0002_readiness_probe': readinessProbe,
  '2026_12_06_0003_mfa': mfa,
  '2026_12_06_0004_mfa_sign_in': mfaSignIn,
  '2026_12_06_0005_webauthn_challenges': webauthnChallenges,
  '2026_12_06_0006_client_name': clientName,
  '2026_12_06_0007_oidc_provider': oidcProvider,
  '2026_12_07_0001_account_search': accountSearch,
};

const staticProvider: MigrationProvider = { getMigrations: async () => migrations };

/**
 * Opens `sqlite:<path>` (WAL, foreign keys on) or `postgres://…` — the only two dialects we run on.
 * PostgreSQL bigints come back as numbers because every bigint here is an epoch-ms timestamp or a counter.
 */
export function openDatabase(url: string): Database {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return openPostgres(url);
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length));
  throw new Error(`database.url: unsupported database URL "${url.split(':')[0]}:"`);
}

function openSqlite(path: string): Database {
  const file = path === ':memory:' ? ':memory:' : resolve(path);
  if (file !== ':memory:') createPrivateFile(file);
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  if (file !== ':memory:') restrictToOwner([`${file}-wal`, `${file}-shm`]);
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const statements = withStatementCache(sqlite);
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: statements }) });
  registerDirectSqlite(db, { sqlite, prepare: statements.prepare });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

/**
 * Creates the database file owner-only (0600) in an owner-only folder (0700) whatever the umask, and tightens a file
 * an older release left readable. Why: it holds the private signing keys and the server secret.
 */
function createPrivateFile(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
  restrictToOwner([file]);
}

/**
 * chmod 0600 on the files that exist. SQLite gives -wal and -shm its database file's mode; this covers older files.
 * A file of another owner (a shared group set up on purpose) cannot be changed and is left as it is.
 */
function restrictToOwner(files: string[]): void {
  for (const file of files) {
    if (!existsSync(file) || (statSync(file).mode & 0o077) === 0) continue;
    try {
      chmodSync(file, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
    }
  }
}

/**
 * Kysely prepares every query anew; preparing costs more than running our small queries, so statements are
 * kept by SQL text. Safe because Kysely runs them with all()/run() to completion (we never stream), one at a time.
 */
function withStatementCache(sqlite: SQLite.Database): { prepare(sql: string): SQLite.Statement; close(): void } {
  const statements = new LruCache<string, SQLite.Statement>(1000);
  return {
    prepare(source) {
      let statement = statements.get(source);
      if (!statement) {
        statement = sqlite.prepare(source);
        statements.set(source, statement);
      }
      return statement;
    },
    close: () => sqlite.close(),
  };
}

function openPostgres(url: string): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
    },
  });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  registerDirectPostgres(db, pool);
  return { db, dialect: 'postgres', close: () => db.destroy() };
}

/** Applies every pending migration; returns the names applied. Throws with the failing migration's error. */
export async function migrateToLatest(db: Kysely<DB>): Promise<string[]> {
  // On PostgreSQL the bookkeeping tables live in our own schema: without this Kysely finds another schema's
  // kysely_migration tables on the search path and never creates ours.
  const schema = db.getExecutor().adapter instanceof PostgresAdapter ? await currentSchema(db) : undefined;
  const migrator = new Migrator({ db, provider: staticProvider, migrationTableSchema: schema });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

async function currentSchema(db: Kysely<DB>): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return rows[0]!.schema;
}
