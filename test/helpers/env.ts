/** The PostgreSQL the storage-facing suites use (DESIGN "Tests"). */
export const testDatabaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The Redis the cross-node suites use. */
export const testRedisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Every PostgreSQL schema of one test run starts with this, so the run's teardown drops exactly its own. */
export function testSchemaPrefix(): string {
  return `t_${process.env.GATEHOUSE_TEST_RUN ?? 'adhoc'}_`;
}
