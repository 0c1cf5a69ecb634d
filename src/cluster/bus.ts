import { Redis } from 'ioredis';
import pg from 'pg';
import type { Config } from '../config/index.js';
import type { DialectName } from '../db/database.js';

/** What one node tells the others, so none keeps serving from caches what another has changed. */
export type ClusterMessage =
  /** Sessions revoked: refuse their credentials at once (CONTRACT §3: on every node). */
  | { revoked: string[] }
  /** `gatehouse keys rotate` added a signing key: load it into the JWKS and signer now, not at the next reload. */
  | { keysRotated: string }
  /** Accounts whose cached profile (username, language) changed. */
  | { accountsChanged: string[] };

/** The receiving side; `gap` is called when messages may have been lost (a reconnect). */
export interface ClusterListener {
  revoked(sessionIds: string[]): void;
  keysRotated(kid: string): void;
  accountsChanged(accountIds: string[]): void;
  gap(): void;
}

/** Delivers cluster messages to every node, this one included. */
export interface ClusterBus {
  publish(message: ClusterMessage): Promise<void>;
  subscribe(listener: ClusterListener): Promise<void>;
  close(): Promise<void>;
}

const CHANNEL = 'gatehouse_cluster';
/** PostgreSQL NOTIFY payloads must stay under 8000 bytes: 36-character ids, a couple of hundred per message. */
const IDS_PER_MESSAGE = 150;

/** Redis when configured, else PostgreSQL NOTIFY, else (SQLite, one node) nothing to broadcast. */
export function openClusterBus(config: Config, dialect: DialectName, log: (error: unknown) => void): ClusterBus {
  if (config.redis.url) return redisBus(config.redis.url, log);
  if (dialect === 'postgres') return postgresBus(config.database.url, log);
  return localBus;
}

/** One node (SQLite): the local caches are the only ones, nothing to broadcast. */
export const localBus: ClusterBus = {
  publish: async () => undefined,
  subscribe: async () => undefined,
  close: async () => undefined,
};

/** Splits a revocation so each PostgreSQL NOTIFY payload stays small. */
function chunks(message: ClusterMessage): ClusterMessage[] {
  if (!('revoked' in message)) return [message];
  const parts: ClusterMessage[] = [];
  for (let i = 0; i < message.revoked.length; i += IDS_PER_MESSAGE) parts.push({ revoked: message.revoked.slice(i, i + IDS_PER_MESSAGE) });
  return parts;
}

/** Hands a received payload to the listener; a payload that is not ours is logged and dropped. */
function deliver(payload: string, listener: ClusterListener, log: (error: unknown) => void): void {
  try {
    const message = JSON.parse(payload) as Partial<{ revoked: unknown; keysRotated: unknown; accountsChanged: unknown }>;
    if (Array.isArray(message.revoked)) listener.revoked(strings(message.revoked));
    else if (typeof message.keysRotated === 'string') listener.keysRotated(message.keysRotated);
    else if (Array.isArray(message.accountsChanged)) listener.accountsChanged(strings(message.accountsChanged));
    else log(new Error(`unknown cluster message ${payload.slice(0, 100)}`));
  } catch (error) {
    log(error);
  }
}

function strings(values: unknown[]): string[] {
  return values.filter((value): value is string => typeof value === 'string');
}

/** PostgreSQL `LISTEN/NOTIFY`: works with nothing but the database every node already shares. */
export function postgresBus(url: string, log: (error: unknown) => void): ClusterBus {
  let listenerClient: pg.Client | null = null;
  let closed = false;
  const publisher = new pg.Pool({ connectionString: url, max: 1 });
  const connect = async (listener: ClusterListener): Promise<void> => {
    const client = new pg.Client({ connectionString: url });
    client.on('notification', (message) => {
      if (message.channel === CHANNEL && message.payload) deliver(message.payload, listener, log);
    });
    client.on('error', (error) => {
      log(error);
      listenerClient = null;
      // Messages sent while we were away are unknown: forget what the caches hold, then listen again.
      listener.gap();
      if (!closed) setTimeout(() => connect(listener).catch(log), 1000).unref();
    });
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    listenerClient = client;
  };
  return {
    publish: async (message) => {
      for (const part of chunks(message)) await publisher.query('select pg_notify($1, $2)', [CHANNEL, JSON.stringify(part)]);
    },
    subscribe: (listener) => connect(listener),
    close: async () => {
      closed = true;
      await listenerClient?.end().catch(() => undefined);
      await publisher.end();
    },
  };
}

/** Redis pub/sub, when `redis.url` is set: the faster path, and the one that also serves non-PostgreSQL setups. */
export function redisBus(url: string, log: (error: unknown) => void): ClusterBus {
  const publisher = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  const subscriber = new Redis(url, { lazyConnect: true });
  subscriber.on('error', log);
  publisher.on('error', log);
  return {
    publish: async (message) => {
      if (publisher.status === 'wait') await publisher.connect();
      await publisher.publish(CHANNEL, JSON.stringify(message));
    },
    subscribe: async (listener) => {
      subscriber.on('message', (channel: string, payload: string) => {
        if (channel === CHANNEL) deliver(payload, listener, log);
      });
      // After a reconnect, messages sent meanwhile are gone: the caches must not trust what they hold.
      subscriber.on('ready', () => listener.gap());
      await subscriber.connect();
      await subscriber.subscribe(CHANNEL);
    },
    close: async () => {
      subscriber.disconnect();
      publisher.disconnect();
    },
  };
}
