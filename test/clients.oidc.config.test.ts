import { generateKeyPairSync } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { missingSecretWarnings } from '../src/clients/client-secrets.js';
import { hashClientSecret } from '../src/config/oidc-client-fields.js';
import { CONFIG_KEYS, MASK, maskSecrets, parseConfig, type ClientSeed } from '../src/config/index.js';
import { problemsOf } from './helpers/config.js';
import { dialects, startServer, type TestServer } from './helpers/server.js';

/* `clients[]` with OpenID fields in the configuration file (issue 18): read, checked, seeded, secrets stored hashed. */

const SECRET = 'configured-secret-of-forty-four-characters-x';
const web = { clientID: 'web', callbackURL: 'https://web.example/cb', redirectUris: ['https://web.example/oidc'], clientSecret: SECRET, firstParty: true };
const worker = { clientID: 'worker', callbackURL: 'https://worker.example/cb', grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'client_secret_post' };
const spa = { clientID: 'spa', callbackURL: 'https://spa.example/cb', redirectUris: ['http://localhost:5173/cb'], tokenEndpointAuthMethod: 'none', scopes: ['openid', 'groups'] };
const legacy = { clientID: 'legacy', callbackURL: 'https://legacy.example/cb' };
const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });

describe('clients[] OpenID fields in the configuration', () => {
  it('completes the fields from their defaults and keeps seed-000 clients as they were', () => {
    const config = parseConfig({ clients: [web, spa, legacy] }, {});
    expect(config.clients[0]).toMatchObject({
      clientID: 'web', clientSecret: SECRET,
      oidc: {
        redirectUris: ['https://web.example/oidc'], postLogoutRedirectUris: [], grantTypes: ['authorization_code', 'refresh_token'],
        tokenEndpointAuthMethod: 'client_secret_basic', scopes: ['openid', 'profile', 'email', 'offline_access'], firstParty: true,
        backchannelLogoutUri: null, jwks: null, jwksUri: null,
      },
    });
    expect(config.clients[1]?.oidc).toMatchObject({ tokenEndpointAuthMethod: 'none', scopes: ['openid', 'groups'] });
    expect(config.clients[2]).toMatchObject({ oidc: null, clientSecret: null });
    const keyed = parseConfig({ clients: [{ ...worker, tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [jwk] } }] }, {});
    expect(keyed.clients[0]?.oidc?.jwks).toEqual({ keys: [jwk] });
  });

  it('names the key of every bad field, list items included', () => {
    expect(problemsOf({ clients: [
      { ...legacy, redirectUris: ['https://ok.example/cb', 'http://web.example/cb'], scopes: ['open id'] },
      { ...worker, grantTypes: ['client_credentials', 'password'] },
      { ...worker, clientID: 'keyed', tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [{ ...jwk, d: 'secret' }] } },
      { ...spa, grantTypes: ['authorization_code', 'client_credentials'], firstParty: 'maybe' },
    ] })).toEqual([
      'clients[0].redirectUris[1]: must be an https:// URL (http:// only on a loopback host: localhost, 127.0.0.0/8, [::1])',
      'clients[0].scopes[0]: must be 1 to 256 printable characters without spaces, " or \\ (RFC 6749 §3.3), e.g. openid or orders:read',
      'clients[1].grantTypes[1]: unknown grant type "password"; use authorization_code, refresh_token, client_credentials',
      'clients[2].jwks.keys[0]: is a private key (it has "d"): register the public key only',
      'clients[3].firstParty: must be true, false, on or off (got "maybe")',
      'clients[3].grantTypes: client_credentials is not allowed with tokenEndpointAuthMethod none (a public client has no credentials to present)',
    ]);
  });

  it('takes a clientSecret only where it is used, and only long enough', () => {
    expect(problemsOf({ clients: [{ ...web, clientSecret: 'short' }] })).toEqual([expect.stringMatching(/^clients\[0\]\.clientSecret: must be at least 32 characters \(got 5\)/)]);
    expect(problemsOf({ clients: [{ ...spa, clientSecret: SECRET }] })).toEqual(['clients[0].clientSecret: only for tokenEndpointAuthMethod client_secret_basic or client_secret_post (got none)']);
    expect(problemsOf({ clients: [{ ...legacy, clientSecret: SECRET }] })).toEqual([expect.stringMatching(/^clients\[0\]\.clientSecret: only for an OpenID client/)]);
  });

  it('reads the fields and the secret from the environment, and masks the secret', () => {
    const config = parseConfig({ clients: [{ ...worker }] }, {
      GATEHOUSE_CLIENTS__0__CLIENT_SECRET: `${SECRET}#*: `,
      GATEHOUSE_CLIENTS__0__SCOPES: '[openid, orders:read]',
      GATEHOUSE_CLIENTS__1__CLIENT_ID: 'from-env',
      GATEHOUSE_CLIENTS__1__CALLBACK_URL: 'https://env.example/cb',
      GATEHOUSE_CLIENTS__1__REDIRECT_URIS: '[https://env.example/a, https://env.example/b]',
      GATEHOUSE_CLIENTS__1__FIRST_PARTY: 'on',
    });
    expect(config.clients[0]).toMatchObject({ clientSecret: `${SECRET}#*: `, oidc: { scopes: ['openid', 'orders:read'] } });
    expect(config.clients[1]?.oidc).toMatchObject({ redirectUris: ['https://env.example/a', 'https://env.example/b'], firstParty: true });
    const masked = maskSecrets(config) as { clients: ClientSeed[] };
    expect(masked.clients.map((client) => client.clientSecret)).toEqual([MASK, null]);
    expect(JSON.stringify(masked)).not.toContain(SECRET);
    for (const key of ['redirectUris', 'postLogoutRedirectUris', 'grantTypes', 'tokenEndpointAuthMethod', 'scopes', 'firstParty', 'backchannelLogoutUri', 'jwks', 'jwksUri', 'clientSecret']) {
      expect(CONFIG_KEYS).toContain(`clients[].${key}`);
    }
    expect(problemsOf({ clients: [legacy] }, { GATEHOUSE_CLIENTS__0__OIDC: '{}' })[0]).toMatch(/^GATEHOUSE_CLIENTS__0__OIDC: unknown configuration variable/);
  });
});

describe.each(dialects)('configured OpenID clients seeded on %s', (dialect) => {
  let server: TestServer | undefined;
  const servers: TestServer[] = [];
  afterAll(async () => {
    await server?.stop();
    await servers[0]?.smtp.close();
    await servers[0]?.database.drop();
  });
  const ADMIN_PASSWORD = 'bootstrap-pw';
  /** Starts (or restarts, on the same database) a server configured with `clients`. */
  const start = async (clients: unknown[]) => {
    await server?.stop();
    server = await startServer(dialect, { config: { clients }, env: { GATEHOUSE_ADMIN_PASSWORD: ADMIN_PASSWORD }, database: servers[0]?.database, smtp: servers[0]?.smtp });
    servers.push(server);
    const admin = (await server.request('POST', '/api/auth/login', { json: { username: 'admin', password: ADMIN_PASSWORD } })).body.accessToken as string;
    return { server, admin };
  };
  const row = (id: string) => server!.app.services.database.db.selectFrom('clients').selectAll().where('client_id', '=', id).executeTakeFirstOrThrow();

  it('stores the fields and the hash of a configured secret; a client without one keeps what a rotation stored', async () => {
    let { server: node, admin } = await start([web, worker, spa, legacy]);
    expect(await row('web')).toMatchObject({ secret_hash: hashClientSecret(SECRET), secret_created_at: node.clock.now() });
    expect(JSON.parse((await row('web')).oidc!)).toEqual(node.config.clients[0]!.oidc);
    expect((await node.request('GET', '/clients/web', { token: admin })).body).toMatchObject({ redirectUris: ['https://web.example/oidc'], firstParty: true });
    expect((await node.request('GET', '/clients/web', { token: admin })).body).not.toHaveProperty('clientSecret');
    expect(await row('spa')).toMatchObject({ secret_hash: null });
    expect(await row('legacy')).toMatchObject({ oidc: null, secret_hash: null });
    expect(await row('worker')).toMatchObject({ secret_hash: null });
    expect(await missingSecretWarnings(node.app.services.database.db, node.config.clients)).toEqual([
      'client "worker" authenticates with a client secret but has none: set clients[1].clientSecret (or GATEHOUSE_CLIENTS__1__CLIENT_SECRET), or run `gatehouse client secret --id worker`',
    ]);

    // A rotation gives the worker a secret, which the next start keeps; the web client's is the file's again.
    const workerSecret = (await node.request('POST', '/clients/worker/secret', { token: admin })).body.clientSecret as string;
    expect((await node.request('POST', '/clients/web/secret', { token: admin })).status).toBe(200);
    const webCreated = (await row('web')).secret_created_at;
    ({ server: node, admin } = await start([web, worker, spa, legacy]));
    expect((await row('worker')).secret_hash).toBe(hashClientSecret(workerSecret));
    expect((await row('web')).secret_hash).toBe(hashClientSecret(SECRET));
    expect(Number((await row('web')).secret_created_at)).toBeGreaterThanOrEqual(Number(webCreated));
    expect(await missingSecretWarnings(node.app.services.database.db, node.config.clients)).toEqual([]);
  });

  it('writes the file back over API changes, clearing a secret the configured method does not use', async () => {
    let { server: node, admin } = await start([web, worker, spa, legacy]);
    const created = (await row('web')).secret_created_at;
    // The API turns the public client into a secret one (it gets a secret) and the legacy client into an OpenID one.
    const spaPut = await node.request('PUT', '/clients/spa', { token: admin, json: { callbackURL: spa.callbackURL, redirectUris: spa.redirectUris } });
    expect(spaPut.body.clientSecret).toBeDefined();
    expect((await node.request('PUT', '/clients/legacy', { token: admin, json: { callbackURL: legacy.callbackURL, grantTypes: ['client_credentials'] } })).status).toBe(200);
    node.clock.advance(60_000);
    ({ server: node, admin } = await start([web, worker, spa, legacy]));
    expect(await row('spa')).toMatchObject({ secret_hash: null, secret_created_at: null });
    expect(JSON.parse((await row('spa')).oidc!).tokenEndpointAuthMethod).toBe('none');
    expect(await row('legacy')).toMatchObject({ oidc: null, secret_hash: null });
    // The same configured secret again: not rewritten, so its time still says when it was set.
    expect((await row('web')).secret_created_at).toBe(created);

    const NEW_SECRET = `${SECRET}-rotated-in-the-file`;
    ({ server: node } = await start([{ ...web, clientSecret: NEW_SECRET }, worker, spa, legacy]));
    expect(await row('web')).toMatchObject({ secret_hash: hashClientSecret(NEW_SECRET), secret_created_at: node.clock.now() });
  });
});
