import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import type { DB } from '../db/types.js';
import type { RecordStore } from './adapter.js';
import { RedisRecordStore } from './redis-records.js';
import { SqlRecordStore } from './sql-records.js';

/** The store `oidc.store` names: the database (default), or Redis (config parsing made sure `redis.url` is set). */
export function openRecordStore(config: Config, db: Kysely<DB>, clock: Clock, serverKey: string, log: (error: unknown) => void): RecordStore {
  if (config.oidc.store !== 'redis' || !config.redis.url) return new SqlRecordStore(db, clock);
  return new RedisRecordStore(config.redis.url, recordNamespace(serverKey), db, clock, log);
}

/** Nodes of one cluster share the server key; its hash names their keys, apart from other clusters' on the same Redis. */
export function recordNamespace(serverKey: string): string {
  return createHash('sha256').update(serverKey).digest('hex').slice(0, 12);
}
