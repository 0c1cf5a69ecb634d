import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addOidcClient } from './helpers/oidc-clients.js';
import { clearPrefix, recordPrefix, redisClient, testRedisUrl } from './helpers/redis-records.js';
import { dialects, startServer, type Dialect, type TestServer } from './helpers/server.js';

async function clearRecords(prefix: string): Promise<void> {
  const redis = redisClient();
  await clearPrefix(redis, prefix);
  redis.disconnect();
}

const secret = 'svc-secret-0123456789abcdef-0123456789';

/** Client credentials at Gatehouse's token endpoint (CONTRACT §5): `sub` the client, `aud` the client, RFC 9068 JWTs. */
describe.each(dialects)('client credentials grant (%s)', (dialect) => {
  let server: TestServer;
  let config: client.Configuration;

  beforeAll(async () => {
    server = await startServer(dialect);
    await addOidcClient(server, 'svc', { redirectUris: [], grantTypes: ['client_credentials'], scopes: ['orders:read', 'orders:write'] }, secret);
    config = await client.discovery(new URL(server.url), 'svc', secret, undefined, { execute: [client.allowInsecureRequests] });
  });
  afterAll(async () => server?.close());

  it('issues an at+jwt access token for the client itself, signed by a key of the shared JWKS', async () => {
    const tokens = await client.clientCredentialsGrant(config, { scope: 'orders:read' });
    expect(decodeProtectedHeader(tokens.access_token).typ).toBe('at+jwt');
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: server.url, audience: 'svc', typ: 'at+jwt' });
    expect(payload.sub).toBe('svc');
    expect(payload.client_id).toBe('svc');
    expect(payload.scope).toBe('orders:read');
    // A JWT is checked where it is used (its signature and exp): RFC 7662 introspection is for opaque references.
    await expect(client.tokenIntrospection(config, tokens.access_token)).rejects.toMatchObject({ error: 'unsupported_token_type' });
  });

  it('refuses a scope the client is not allowed, and a wrong secret, with OAuth errors', async () => {
    await expect(client.clientCredentialsGrant(config, { scope: 'admin:all' })).rejects.toMatchObject({ error: 'invalid_scope' });
    const wrong = await client.discovery(new URL(server.url), 'svc', 'not-the-secret', undefined, { execute: [client.allowInsecureRequests] });
    await expect(client.clientCredentialsGrant(wrong, { scope: 'orders:read' })).rejects.toMatchObject({ error: 'invalid_client' });
  });

  it('refuses a resource it does not know (invalid_target)', async () => {
    await expect(client.clientCredentialsGrant(config, { scope: 'orders:read', resource: 'https://elsewhere.example/api' })).rejects.toMatchObject({ error: 'invalid_target' });
  });
});

describe('client credentials with tokens.clientFormat: opaque (sqlite)', () => {
  let server: TestServer;
  afterAll(async () => server?.close());

  it('answers an opaque reference that introspection knows', async () => {
    server = await startServer('sqlite', { config: { tokens: { clientFormat: 'opaque' } } });
    await addOidcClient(server, 'svc', { redirectUris: [], grantTypes: ['client_credentials'], scopes: ['orders:read'] }, secret);
    const config = await client.discovery(new URL(server.url), 'svc', secret, undefined, { execute: [client.allowInsecureRequests] });
    const tokens = await client.clientCredentialsGrant(config, { scope: 'orders:read' });
    expect(tokens.access_token.split('.')).toHaveLength(1);
    const introspected = await client.tokenIntrospection(config, tokens.access_token);
    expect(introspected).toMatchObject({ active: true, client_id: 'svc', scope: 'orders:read' });
  });
});

const restarts: Array<[Dialect, 'database' | 'redis']> = [...dialects.map((dialect) => [dialect, 'database'] as [Dialect, 'database']), ['postgres', 'redis']];

describe.each(restarts)('the provider’s records survive a restart (%s, oidc.store %s)', (dialect, store) => {
  let first: TestServer;
  let second: TestServer | undefined;
  const config = { tokens: { clientFormat: 'opaque' }, oidc: { store }, ...(store === 'redis' ? { redis: { url: testRedisUrl } } : {}) };
  afterAll(async () => {
    if (store === 'redis' && first) await clearRecords(recordPrefix(first));
    await second?.stop();
    await first?.close();
  });

  it('an opaque access token issued before the restart is still active after it, and revocable', async () => {
    first = await startServer(dialect, { config });
    await addOidcClient(first, 'svc', { redirectUris: [], grantTypes: ['client_credentials'], scopes: ['orders:read'] }, secret);
    const before = await client.discovery(new URL(first.url), 'svc', secret, undefined, { execute: [client.allowInsecureRequests] });
    const tokens = await client.clientCredentialsGrant(before, { scope: 'orders:read' });
    // The token is where oidc.store says: a row of oidc_records, or a Redis key (and no row).
    const rows = await first.app.services.database.db.selectFrom('oidc_records').select('id').where('model', '=', 'ClientCredentials').execute();
    expect(rows.length).toBe(store === 'database' ? 1 : 0);
    await first.stop();
    second = await startServer(dialect, { database: first.database, smtp: first.smtp, clock: first.clock, config });
    const after = await client.discovery(new URL(second.url), 'svc', secret, undefined, { execute: [client.allowInsecureRequests] });
    expect(await client.tokenIntrospection(after, tokens.access_token)).toMatchObject({ active: true, client_id: 'svc' });
    await client.tokenRevocation(after, tokens.access_token);
    expect((await client.tokenIntrospection(after, tokens.access_token)).active).toBe(false);
  });
});
