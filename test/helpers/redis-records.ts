import { Redis } from 'ioredis';
import { recordNamespace } from '../../src/oidc-provider/record-store.js';
import type { TestServer } from './server.js';

/** The Redis every suite that involves Redis uses (DESIGN.md: tests). */
export const testRedisUrl = 'redis://127.0.0.1:6379';

/** The key prefix of a server's provider records in Redis (from its server key: one per test database). */
export function recordPrefix(server: TestServer): string {
  return `gatehouse:${recordNamespace(server.app.services.serverKey)}:oidc:`;
}

/** A plain connection for a suite to look at Redis itself (keys, TTLs) and to clean up after itself. */
export function redisClient(): Redis {
  return new Redis(testRedisUrl, { maxRetriesPerRequest: 2 });
}

/** Every key under `prefix`, found with SCAN (never KEYS on a shared server). */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/** Removes what a suite left under `prefix`, so parallel and later suites see a clean Redis. */
export async function clearPrefix(redis: Redis, prefix: string): Promise<void> {
  const keys = await keysUnder(redis, prefix);
  if (keys.length) await redis.del(...keys);
}
