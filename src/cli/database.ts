/**
 * Opening the database for a command: open, migrate, and on failure one line naming the database and the cause.
 * Why: an unreachable PostgreSQL used to end `serve` with a stack trace, and the cause was hard to find in it.
 */
import { maskUrlPassword, type Config } from '../config/index.js';
import { migrateToLatest, openDatabase, type Database } from '../db/database.js';
import { CliError, oneLineCause } from './errors.js';

/** An open, migrated database, and the migrations this call applied (the start-up summary reports them). */
export interface MigratedDatabase {
  database: Database;
  applied: string[];
}

/**
 * Opens `database.url` and applies pending migrations (the first query is the first connection).
 * @throws CliError `cannot use the database <url, password masked>: <cause>` — the database is closed again.
 */
export async function openMigrated(config: Config): Promise<MigratedDatabase> {
  let database: Database | undefined;
  try {
    database = openDatabase(config.database.url);
    return { database, applied: await migrateToLatest(database.db) };
  } catch (error) {
    await database?.close().catch(() => undefined);
    throw databaseError(config, error);
  }
}

/** The one line for a database that cannot be opened or used; the URL's password is masked, since logs are kept. */
export function databaseError(config: Config, error: unknown): CliError {
  return new CliError(`cannot use the database ${maskUrlPassword(config.database.url)}: ${oneLineCause(error)}`);
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'SQLITE_CANTOPEN']);

/**
 * Whether an error means the database could not be reached or logged into (a refused or unknown host, PostgreSQL's
 * connection, authentication and unknown-database classes 08, 28 and 3D). Why: commands that open the database
 * themselves (`apikey create`, `client add`, …) then end with the same one line as `serve`.
 */
export function isUnreachableDatabase(error: unknown): boolean {
  if (error instanceof AggregateError) return error.errors.length > 0 && error.errors.every(isUnreachableDatabase);
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (CONNECTION_CODES.has(code) || /^(08|28|3D)[0-9A-Z]{3}$/.test(code));
}
