/** The PostgreSQL the storage-facing suites use (DESIGN "Tests"). */
export const testDatabaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
