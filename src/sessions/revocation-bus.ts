import { Redis } from 'ioredis';
import pg from 'pg';

/** Delivers session revocations to every node, so no node keeps honouring a revoked credential from its caches. */
export interface RevocationBus {
  publish(sessionIds: string[]): Promise<void>;
  /** `onMessage` gets the revoked ids; `onGap` is called when messages may have been lost (reconnect). */
  subscribe(onMessage: (sessionIds: string[]) => void, onGap: () => void): Promise<void>;
  close(): Promise<void>;
}

const CHANNEL = 'gatehouse_revocations';
/** PostgreSQL NOTIFY payloads must stay under 8000 bytes: 36-character ids, a couple of hundred per message. */
const IDS_PER_MESSAGE = 150;

/** One node (SQLite): the local caches are the only ones, nothing to broadcast. */
export const localBus: RevocationBus = {
  publish: async () => undefined,
  subscribe: async () => undefined,
  close: async () => undefined,
};

/** PostgreSQL `LISTEN/NOTIFY`: works with nothing but the database every node already shares. */
export function postgresBus(url: string, log: (error: unknown) => void): RevocationBus {
  let listener: pg.Client | null = null;
  let closed = false;
  const publisher = new pg.Pool({ connectionString: url, max: 1 });
  const connect = async (onMessage: (ids: string[]) => void, onGap: () => void): Promise<void> => {
    const client = new pg.Client({ connectionString: url });
    client.on('notification', (message) => {
      if (message.channel === CHANNEL && message.payload) onMessage(JSON.parse(message.payload) as string[]);
    });
    client.on('error', (error) => {
      log(error);
      listener = null;
      // Revocations sent while we were away are unknown: forget what the caches hold, then listen again.
      onGap();
      if (!closed) setTimeout(() => connect(onMessage, onGap).catch(log), 1000).unref();
    });
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    listener = client;
  };
  return {
    publish: async (ids) => {
      for (let i = 0; i < ids.length; i += IDS_PER_MESSAGE) {
        await publisher.query('select pg_notify($1, $2)', [CHANNEL, JSON.stringify(ids.slice(i, i + IDS_PER_MESSAGE))]);
      }
    },
    subscribe: (onMessage, onGap) => connect(onMessage, onGap),
    close: async () => {
      closed = true;
      await listener?.end().catch(() => undefined);
      await publisher.end();
    },
  };
}

/** Redis pub/sub, when `redis.url` is set: the faster path, and the one that also serves non-PostgreSQL setups. */
export function redisBus(url: string, log: (error: unknown) => void): RevocationBus {
  const publisher = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  const subscriber = new Redis(url, { lazyConnect: true });
  subscriber.on('error', log);
  publisher.on('error', log);
  return {
    publish: async (ids) => {
      if (publisher.status === 'wait') await publisher.connect();
      await publisher.publish(CHANNEL, JSON.stringify(ids));
    },
    subscribe: async (onMessage, onGap) => {
      subscriber.on('message', (channel: string, payload: string) => {
        if (channel === CHANNEL) onMessage(JSON.parse(payload) as string[]);
      });
      // After a reconnect, messages sent meanwhile are gone: the caches must not trust what they hold.
      subscriber.on('ready', () => onGap());
      await subscriber.connect();
      await subscriber.subscribe(CHANNEL);
    },
    close: async () => {
      subscriber.disconnect();
      publisher.disconnect();
    },
  };
}
