import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DB } from '../src/db/types.js';
import { AlreadyConsumedError, oidcAdapter, type RecordStore, type RequestSessionLink } from '../src/oidc-provider/adapter.js';
import { RedisRecordStore } from '../src/oidc-provider/redis-records.js';
import { SqlRecordStore } from '../src/oidc-provider/sql-records.js';
import { insertSession } from '../src/sessions/session.repository.js';
import { clearPrefix, keysUnder, redisClient, testRedisUrl } from './helpers/redis-records.js';
import { registerAndLogin, startServer, type Dialect, type TestServer } from './helpers/server.js';

const HOUR = 3_600_000;
const stores: Array<['database' | 'redis', Dialect]> = [['database', 'sqlite'], ['database', 'postgres'], ['redis', 'sqlite'], ['redis', 'postgres']];

/**
 * The request side of the adapter, as oidc-provider's `Provider.ctx` would answer it (provider.ts builds the real one
 * from it): a hand-made stand-in, so that each rule of the binding is set up exactly. The stores are real.
 */
function requestLink() {
  const link = {
    signedIn: undefined as string | undefined,
    logout: false,
    request: undefined as object | undefined,
    ended: [] as string[],
    signedInSessionId: () => link.signedIn,
    isLogout: () => link.logout,
    endGatehouseSession: async (sessionId: string) => void link.ended.push(sessionId),
    currentRequest: () => link.request,
  };
  return link satisfies RequestSessionLink;
}

/** The adapter's behaviour is the same on every store: the binding rules live once (adapter.ts), the stores twice. */
describe.each(stores)('the provider’s records, %s store (%s)', (kind, dialect) => {
  let server: TestServer;
  let db: Kysely<DB>;
  let store: RecordStore;
  let second: RecordStore;
  let accountId: string;
  const namespace = `test-${randomBytes(6).toString('hex')}`;
  const link = requestLink();
  let adapter: (model: string) => Adapter;
  const id = () => randomBytes(8).toString('hex');

  const openStore = () => kind === 'database' ? new SqlRecordStore(db, server.clock) : new RedisRecordStore(testRedisUrl, namespace, db, server.clock, () => undefined);

  /** A live Gatehouse session of the account, ending in an hour. */
  const gatehouseSession = async () => {
    const sessionId = id();
    const now = server.clock.now();
    await insertSession(db, { id: sessionId, account_id: accountId, method: 'password', client_id: null, scope: null, secret_hash: null, login_time: now, expires_at: now + HOUR, last_access: now, inet_address: null, user_agent: null, revoked_at: null, amr: null });
    return sessionId;
  };

  /** A grant made in a new Gatehouse session, with an access and a refresh token of it. */
  const grantWithTokens = async () => {
    const sessionId = await gatehouseSession();
    const grantId = id();
    link.signedIn = sessionId;
    await adapter('Grant').upsert(grantId, { jti: grantId, accountId }, 3600);
    link.signedIn = undefined;
    const [accessId, refreshId] = [id(), id()];
    await adapter('AccessToken').upsert(accessId, { jti: accessId, grantId }, 600);
    await adapter('RefreshToken').upsert(refreshId, { jti: refreshId, grantId }, 3600);
    return { sessionId, grantId, accessId, refreshId };
  };

  beforeAll(async () => {
    server = await startServer(dialect);
    db = server.app.services.database.db;
    accountId = (await registerAndLogin(server, 'records@example.com')).userId;
    store = openStore();
    second = openStore();
    adapter = oidcAdapter(store, server.clock, link);
  });

  afterAll(async () => {
    await store?.close();
    await second?.close();
    const redis = redisClient();
    await clearPrefix(redis, `gatehouse:${namespace}:`);
    redis.disconnect();
    await server?.close();
  });

  it('finds a record by id, by uid and by userCode; past its expiry (the injected clock) it is gone', async () => {
    const [interactionId, deviceId] = [id(), id()];
    await adapter('Interaction').upsert(interactionId, { jti: interactionId, uid: 'uid-1' }, 600);
    await adapter('DeviceCode').upsert(deviceId, { jti: deviceId, userCode: 'ABCD-EFGH' }, 600);
    expect(await adapter('Interaction').find(interactionId)).toEqual({ jti: interactionId, uid: 'uid-1' });
    expect(await adapter('Interaction').findByUid('uid-1')).toEqual({ jti: interactionId, uid: 'uid-1' });
    expect(await adapter('DeviceCode').findByUserCode!('ABCD-EFGH')).toEqual({ jti: deviceId, userCode: 'ABCD-EFGH' });
    expect(await adapter('Session').findByUid('uid-1')).toBeUndefined();
    expect(await adapter('Interaction').find('unknown')).toBeUndefined();
    server.clock.advance(600_000);
    expect(await adapter('Interaction').find(interactionId)).toBeUndefined();
    expect(await adapter('Interaction').findByUid('uid-1')).toBeUndefined();
    server.clock.advance(-600_000);
  });

  it('consumes a code exactly once among racing requests on two nodes; a loser answers invalid_grant and revokes the grant', async () => {
    const { grantId, refreshId } = await grantWithTokens();
    const codeId = id();
    await adapter('AuthorizationCode').upsert(codeId, { jti: codeId, grantId }, 60);
    const nodes = [adapter, oidcAdapter(second, server.clock, link)];
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => nodes[i % 2]!('AuthorizationCode').consume(codeId)));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const refused = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected').map((result) => result.reason);
    expect(refused.every((error) => error instanceof AlreadyConsumedError && error.message === 'invalid_grant' && error.statusCode === 400)).toBe(true);
    expect(await adapter('RefreshToken').find(refreshId)).toBeUndefined();
    expect(await adapter('Grant').find(grantId)).toBeUndefined();
    await expect(adapter('AuthorizationCode').consume('never-issued')).rejects.toBeInstanceOf(AlreadyConsumedError);
  });

  it('marks a consumed record with the time of consumption', async () => {
    const codeId = id();
    await adapter('AuthorizationCode').upsert(codeId, { jti: codeId }, 60);
    await adapter('AuthorizationCode').consume(codeId);
    expect(await adapter('AuthorizationCode').find(codeId)).toEqual({ jti: codeId, consumed: Math.floor(server.clock.now() / 1000) });
  });

  it('revokes by grant: every record of that grant, none of another', async () => {
    const one = await grantWithTokens();
    const other = await grantWithTokens();
    await adapter('AccessToken').revokeByGrantId(one.grantId);
    expect(await adapter('AccessToken').find(one.accessId)).toBeUndefined();
    expect(await adapter('RefreshToken').find(one.refreshId)).toBeUndefined();
    expect(await adapter('RefreshToken').find(other.refreshId)).toMatchObject({ grantId: other.grantId });
  });

  it('keeps no code or token saved after its grant was revoked (the winner of a code race saving while the loser revokes)', async () => {
    const { grantId, sessionId } = await grantWithTokens();
    // oidc-provider's revocation: the grant record, then the grant's records (the loser of a race does the same).
    await adapter('Grant').destroy(grantId);
    await adapter('AccessToken').revokeByGrantId(grantId);
    const [accessId, refreshId, codeId, interactionId, clientTokenId] = [id(), id(), id(), id(), id()];
    await adapter('AccessToken').upsert(accessId, { jti: accessId, grantId }, 600);
    await adapter('RefreshToken').upsert(refreshId, { jti: refreshId, grantId }, 3600);
    await adapter('AuthorizationCode').upsert(codeId, { jti: codeId, grantId }, 60);
    expect(await adapter('AccessToken').find(accessId)).toBeUndefined();
    expect(await adapter('RefreshToken').find(refreshId)).toBeUndefined();
    expect(await adapter('AuthorizationCode').find(codeId)).toBeUndefined();
    // Records that are not a grant's codes or tokens are saved as before: an interaction naming a grant, a token without one.
    await adapter('Interaction').upsert(interactionId, { jti: interactionId, grantId }, 600);
    await adapter('ClientCredentials').upsert(clientTokenId, { jti: clientTokenId }, 600);
    expect(await adapter('Interaction').find(interactionId)).toMatchObject({ grantId });
    expect(await adapter('ClientCredentials').find(clientTokenId)).toEqual({ jti: clientTokenId });
    // A live grant's tokens are still written, bound to its session.
    link.signedIn = sessionId;
    await adapter('Grant').upsert(grantId, { jti: grantId, accountId }, 3600);
    link.signedIn = undefined;
    await adapter('AccessToken').upsert(accessId, { jti: accessId, grantId }, 600);
    expect(await adapter('AccessToken').find(accessId)).toMatchObject({ grantId });
  });

  it('binds a grant to the signed-in Gatehouse session and its tokens to the grant’s: a session revoked or expired hides them', async () => {
    const revoked = await grantWithTokens();
    const expiring = await grantWithTokens();
    expect(await adapter('AccessToken').find(revoked.accessId)).toMatchObject({ grantId: revoked.grantId });
    await db.updateTable('sessions').set({ revoked_at: server.clock.now() }).where('id', '=', revoked.sessionId).execute();
    for (const [model, recordId] of [['Grant', revoked.grantId], ['AccessToken', revoked.accessId], ['RefreshToken', revoked.refreshId]] as const) {
      expect(await oidcAdapter(second, server.clock, link)(model).find(recordId)).toBeUndefined();
    }
    await db.updateTable('sessions').set({ expires_at: server.clock.now() }).where('id', '=', expiring.sessionId).execute();
    expect(await adapter('RefreshToken').find(expiring.refreshId)).toBeUndefined();
  });

  it('keeps a record’s binding when it is saved again without a sign-in; a new sign-in rebinds it', async () => {
    const { sessionId, grantId } = await grantWithTokens();
    await adapter('Grant').upsert(grantId, { jti: grantId, accountId, changed: true }, 3600);
    await db.updateTable('sessions').set({ revoked_at: server.clock.now() }).where('id', '=', sessionId).execute();
    expect(await adapter('Grant').find(grantId)).toBeUndefined();
    link.signedIn = await gatehouseSession();
    await adapter('Grant').upsert(grantId, { jti: grantId, accountId }, 3600);
    link.signedIn = undefined;
    expect(await adapter('Grant').find(grantId)).toEqual({ jti: grantId, accountId });
  });

  it('reads a grant’s session once per request for its tokens; a grant saved again in the request rebinds the tokens after it', async () => {
    const { sessionId, grantId } = await grantWithTokens();
    const reads = vi.spyOn(store, 'sessionOfGrant');
    link.request = {};
    const [accessId, refreshId, laterId] = [id(), id(), id()];
    await adapter('AccessToken').upsert(accessId, { jti: accessId, grantId }, 600);
    await adapter('RefreshToken').upsert(refreshId, { jti: refreshId, grantId }, 3600);
    expect(reads).toHaveBeenCalledTimes(1);
    link.signedIn = await gatehouseSession();
    await adapter('Grant').upsert(grantId, { jti: grantId, accountId }, 3600);
    link.signedIn = undefined;
    await adapter('AccessToken').upsert(laterId, { jti: laterId, grantId }, 600);
    link.request = undefined;
    expect(reads).toHaveBeenCalledTimes(2);
    reads.mockRestore();
    await db.updateTable('sessions').set({ revoked_at: server.clock.now() }).where('id', '=', sessionId).execute();
    expect(await adapter('RefreshToken').find(refreshId)).toBeUndefined();
    expect(await adapter('AccessToken').find(laterId)).toMatchObject({ grantId });
  });

  it('a browser session destroyed at a confirmed logout ends its Gatehouse session; else its binding carries to the next save of the request', async () => {
    const sessionId = await gatehouseSession();
    const [first, renewed] = [id(), id()];
    link.signedIn = sessionId;
    await adapter('Session').upsert(first, { jti: first, uid: id(), accountId }, 3600);
    link.signedIn = undefined;
    link.request = {};
    await adapter('Session').destroy(first);
    await adapter('Session').upsert(renewed, { jti: renewed, uid: id(), accountId }, 3600);
    link.request = undefined;
    expect(link.ended).toEqual([]);
    link.logout = true;
    await adapter('Session').destroy(renewed);
    link.logout = false;
    expect(link.ended).toEqual([sessionId]);
  });

  it('binds a grant made outside the provider’s request (the consent step) to its browser session’s Gatehouse session', async () => {
    const sessionId = await gatehouseSession();
    const [browserId, browserUid, grantId, tokenId] = [id(), id(), id(), id()];
    link.signedIn = sessionId;
    await adapter('Session').upsert(browserId, { jti: browserId, uid: browserUid, accountId }, 3600);
    link.signedIn = undefined;
    await adapter('Grant').upsert(grantId, { jti: grantId, accountId }, 3600);
    await store.bindGrant(grantId, browserUid);
    await adapter('AccessToken').upsert(tokenId, { jti: tokenId, grantId }, 600);
    await db.updateTable('sessions').set({ revoked_at: server.clock.now() }).where('id', '=', sessionId).execute();
    expect(await adapter('Grant').find(grantId)).toBeUndefined();
    expect(await adapter('AccessToken').find(tokenId)).toBeUndefined();
  });

  it('takes the browser sessions of ended Gatehouse sessions once, removing their grants with every code and token', async () => {
    const { sessionId, grantId, accessId, refreshId } = await grantWithTokens();
    const untouched = await grantWithTokens();
    const browserId = id();
    link.signedIn = sessionId;
    const browser: AdapterPayload = { jti: browserId, uid: id(), accountId, authorizations: { rp: { sid: 'sid-1', grantId } } };
    await adapter('Session').upsert(browserId, browser, 3600);
    link.signedIn = undefined;
    const [taken, again] = await Promise.all([store.takeSessions([sessionId]), second.takeSessions([sessionId])]);
    expect([...taken, ...again]).toEqual([browser]);
    for (const [model, recordId] of [['Session', browserId], ['Grant', grantId], ['AccessToken', accessId], ['RefreshToken', refreshId]] as const) {
      expect(await store.remove(model, recordId)).toBeNull();
    }
    expect(await adapter('RefreshToken').find(untouched.refreshId)).toMatchObject({ grantId: untouched.grantId });
  });
});

/** What only Redis has: keys that expire by themselves, and nothing written to the database's table. */
describe('the provider’s records in Redis keep the provider’s lifetimes as TTLs (postgres)', () => {
  let server: TestServer;
  let store: RedisRecordStore;
  const namespace = `test-${randomBytes(6).toString('hex')}`;
  const redis = redisClient();

  beforeAll(async () => {
    server = await startServer('postgres');
    store = new RedisRecordStore(testRedisUrl, namespace, server.app.services.database.db, server.clock, () => undefined);
  });

  afterAll(async () => {
    await store?.close();
    await clearPrefix(redis, `gatehouse:${namespace}:`);
    redis.disconnect();
    await server?.close();
  });

  it('sets EX = expiresIn on the record, its lookups and its grant set; the table stays empty', async () => {
    const adapter = oidcAdapter(store, server.clock, requestLink());
    await adapter('Grant').upsert('g1', { jti: 'g1' }, 1_209_600);
    await adapter('Interaction').upsert('i1', { jti: 'i1', uid: 'u1', grantId: 'g1' }, 600);
    await adapter('RefreshToken').upsert('r1', { jti: 'r1', grantId: 'g1' }, 86_400);
    const prefix = `gatehouse:${namespace}:oidc:`;
    expect(await redis.ttl(`${prefix}r:Interaction:i1`)).toBeGreaterThan(595);
    expect(await redis.ttl(`${prefix}r:Interaction:i1`)).toBeLessThanOrEqual(600);
    expect(await redis.ttl(`${prefix}uid:Interaction:u1`)).toBeGreaterThan(595);
    expect(await redis.ttl(`${prefix}r:RefreshToken:r1`)).toBeGreaterThan(86_395);
    // The grant's set lives as long as its longest-living record.
    expect(await redis.ttl(`${prefix}g:g1`)).toBeGreaterThan(86_395);
    expect(await redis.ttl(`${prefix}r:Grant:g1`)).toBeGreaterThan(1_209_595);
    expect((await keysUnder(redis, prefix)).sort()).toEqual([
      `${prefix}g:g1`, `${prefix}r:Grant:g1`, `${prefix}r:Interaction:i1`, `${prefix}r:RefreshToken:r1`, `${prefix}uid:Interaction:u1`,
    ]);
    const rows = await server.app.services.database.db.selectFrom('oidc_records').select('id').execute();
    expect(rows).toEqual([]);
    // Redis forgets it when the TTL runs out (PEXPIRE stands in for the time passing).
    await redis.pexpire(`${prefix}r:RefreshToken:r1`, 1);
    await expect.poll(() => adapter('RefreshToken').find('r1'), { timeout: 1000 }).toBeUndefined();
  });
});
