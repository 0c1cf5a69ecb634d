/**
 * Opening the database for a command: open, migrate, and on failure one line naming the database and the cause.
 * Why: an unreachable PostgreSQL used to end `serve` with a stack trace, and the cause was hard to find in it.
 */
import { maskUrlPassword, type Config } from '../config/index.js';
import { migrateToLatest, openDatabase, type Database } from '../db/database.js';
import { CliError, oneLineCause } from './errors.js';

/** An open, migrated database, and the migrations this call applied. */
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

/** The one line for a database that cannot be opened or used. */
export function databaseError(config: Config, error: unknown): CliError {
  return new CliError(`cannot use the database ${maskUrlPassword(config.database.url)}: ${oneLineCause(error)}`);
}
