import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { testDatabaseUrl, testRedisUrl, testSchemaPrefix } from './env.js';

/**
 * Runs once before the suites: the services the suites need must be there. An unreachable PostgreSQL fails
 * the run (never a skip), and Debian packages a suite relies on are installed when missing.
 */
export default async function setup(): Promise<() => Promise<void>> {
  // Workers inherit the environment: every schema of this run is named after it (see testSchemaPrefix).
  process.env.GATEHOUSE_TEST_RUN = randomBytes(4).toString('hex');
  const client = new pg.Client({ connectionString: testDatabaseUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    throw new Error(`PostgreSQL is unreachable at ${testDatabaseUrl} (set TEST_DATABASE_URL): ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
  const redis = new Redis(testRedisUrl, { lazyConnect: true, connectTimeout: 5000, maxRetriesPerRequest: 0 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`Redis is unreachable at ${testRedisUrl} (set TEST_REDIS_URL): ${(error as Error).message}`);
  } finally {
    redis.disconnect();
  }
  const teardown = () => dropSchemas(`${testSchemaPrefix().replace(/_/g, '\\_')}%`);
  ensureDebianPackage('python3-jwt', () => execFileSync('/usr/bin/python3', ['-c', 'import jwt, cryptography'], { stdio: 'ignore' }));
  ensureDebianPackage('oathtool', () => execFileSync('oathtool', ['--version'], { stdio: 'ignore' }));
  ensureDebianPackage('python3-fido2', () => execFileSync('/usr/bin/python3', ['-c', 'import fido2, cryptography'], { stdio: 'ignore' }));
  ensureDebianPackage('python3-authlib', () => execFileSync('/usr/bin/python3', ['-c', 'import authlib'], { stdio: 'ignore' }));
  ensureDebianPackage('python3-requests', () => execFileSync('/usr/bin/python3', ['-c', 'import requests'], { stdio: 'ignore' }));
  ensureDebianPackage('python3-django-cas-server', () => execFileSync('/usr/bin/python3', ['-c', 'import cas_server, django'], { stdio: 'ignore' }));
  ensureDebianPackage('chromium', () => execFileSync('/usr/bin/chromium', ['--version'], { stdio: 'ignore' }));
  ensureDebianPackage('nginx', () => execFileSync('/usr/sbin/nginx', ['-v'], { stdio: 'ignore' }));
  return teardown;
}

function ensureDebianPackage(name: string, probe: () => void): void {
  try {
    probe();
    return;
  } catch {
    // Not installed yet: install it the way the machine allows (Debian's archive), then probe again.
  }
  execFileSync('bash', ['-c', `(apt-get install -y -q ${name} || (apt-get update -q && apt-get install -y -q ${name})) >/dev/null`], { stdio: 'inherit' });
  probe();
}

/** Drops the schemas of this run once every suite is done. */
async function dropSchemas(pattern: string): Promise<void> {
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>("select nspname as name from pg_namespace where nspname like $1", [pattern]);
    for (const { name } of rows) await client.query(`drop schema if exists "${name}" cascade`);
  } finally {
    await client.end();
  }
}
