import { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { AdapterPayload } from 'oidc-provider';
import type { Clock } from '../clock.js';
import type { DB } from '../db/types.js';
import { sessionLive, type LookupField, type RecordStore, type RecordToSave } from './adapter.js';
import { BIND_GRANT, CONSUME, FIND, REMOVE, REMOVE_GRANT_SCRIPT, SAVE, TAKE_SESSIONS } from './redis-scripts.js';

/**
 * The provider's records in Redis (`oidc.store: redis`): each a key with the provider's lifetime as its TTL, so Redis
 * itself forgets expired ones. Every change is one Lua script (redis-scripts.ts), atomic across nodes. `find` costs
 * one Redis round trip, plus — for a record bound to a Gatehouse session — one primary-key read of `sessions`: that
 * row is where an ended session shows at once on every node, whichever node ended it.
 */
export class RedisRecordStore implements RecordStore {
  private readonly redis: Redis;
  private readonly prefix: string;

  /** `namespace` keeps clusters that share one Redis apart (their server keys differ). */
  constructor(url: string, namespace: string, private readonly db: Kysely<DB>, private readonly clock: Clock, log: (error: unknown) => void) {
    this.redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
    this.redis.on('error', log);
    this.prefix = `gatehouse:${namespace}:oidc:`;
  }

  async save(model: string, id: string, record: RecordToSave): Promise<void> {
    const { payload, expiresAt, expiresIn, sessionId, grantRequired } = record;
    await this.run(SAVE, [this.recordKey(model, id)], [
      model, id, JSON.stringify(payload), sessionId ?? '', expiresAt === null ? '' : String(expiresAt), String(expiresIn ?? 0),
      payload.grantId ?? '', payload.uid ?? '', payload.userCode ?? '', payload.consumed ? String(payload.consumed) : '',
      grantRequired ? '1' : '',
    ]);
  }

  async find(model: string, field: LookupField, value: string): Promise<AdapterPayload | undefined> {
    const found = (await this.run(FIND, [], [model, field, value])) as [string, string, string, string] | null;
    if (!found) return undefined;
    const [payload, sessionId, expiresAt, consumed] = found;
    const now = this.clock.now();
    // Redis forgets by its own clock; the injected clock decides, as for the database store.
    if (expiresAt !== '' && Number(expiresAt) <= now) return undefined;
    if (sessionId !== '' && !sessionLive(await this.gatehouseSession(sessionId), now)) return undefined;
    const parsed = JSON.parse(payload) as AdapterPayload;
    return consumed === '' ? parsed : { ...parsed, consumed: Number(consumed) };
  }

  /** HSETNX of the `consumed` field: Redis runs one script at a time, so exactly one caller sets it. */
  async consume(model: string, id: string, at: number): Promise<boolean> {
    return (await this.run(CONSUME, [this.recordKey(model, id)], [String(at)])) === 1;
  }

  async remove(model: string, id: string): Promise<string | null> {
    const sessionId = (await this.run(REMOVE, [this.recordKey(model, id)], [])) as string;
    return sessionId === '' ? null : sessionId;
  }

  async removeGrant(grantId: string): Promise<void> {
    await this.run(REMOVE_GRANT_SCRIPT, [], [grantId]);
  }

  async sessionOfGrant(grantId: string): Promise<string | null> {
    await this.connected();
    const sessionId = await this.redis.hget(this.recordKey('Grant', grantId), 'session');
    return sessionId ? sessionId : null;
  }

  async bindGrant(grantId: string, sessionUid: string): Promise<void> {
    await this.run(BIND_GRANT, [this.recordKey('Grant', grantId)], [sessionUid]);
  }

  async takeSessions(sessionIds: string[]): Promise<AdapterPayload[]> {
    if (sessionIds.length === 0) return [];
    const payloads = (await this.run(TAKE_SESSIONS, [], sessionIds)) as string[];
    return payloads.map((payload) => JSON.parse(payload) as AdapterPayload);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  private recordKey(model: string, id: string): string {
    return `${this.prefix}r:${model}:${id}`;
  }

  private async gatehouseSession(sessionId: string) {
    return this.db.selectFrom('sessions').select(['revoked_at', 'expires_at']).where('id', '=', sessionId).executeTakeFirst();
  }

  /** One script with the key prefix as its first argument. */
  private async run(script: string, keys: string[], args: string[]): Promise<unknown> {
    await this.connected();
    return this.redis.eval(script, keys.length, ...keys, this.prefix, ...args);
  }

  private async connected(): Promise<void> {
    if (this.redis.status === 'wait') await this.redis.connect();
  }
}
