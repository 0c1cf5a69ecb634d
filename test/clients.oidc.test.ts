import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findClientWithSecret } from '../src/clients/client.repository.js';
import { clientSecretMatches, hashClientSecret } from '../src/config/oidc-client-fields.js';
import { dialects, registerAndLogin, startServer, type TestServer } from './helpers/server.js';

/* The OpenID fields of clients through the API (issue 18, CONTRACT §5): secrets generated, shown once, stored hashed, rotated. */

const ADMIN_PASSWORD = 'bootstrap-pw';
const SECRET = /^[A-Za-z0-9_-]{43}$/;
const webApp = {
  clientID: 'web-app', callbackURL: 'https://web.example/cb', name: 'Web App',
  redirectUris: ['https://web.example/oidc/cb', 'http://127.0.0.1:8000/cb'], postLogoutRedirectUris: ['https://web.example/bye'],
  grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'], tokenEndpointAuthMethod: 'client_secret_post',
  scopes: ['openid', 'profile', 'roles', 'orders:read'], firstParty: true, backchannelLogoutUri: 'https://web.example/backchannel',
};
const publicKey = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });

describe.each(dialects)('OpenID clients through /clients on %s', (dialect) => {
  let server: TestServer;
  let admin: string;
  let reader: string;
  let helper: string;
  let plain: string;
  beforeAll(async () => {
    server = await startServer(dialect, { env: { GATEHOUSE_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    admin = (await server.request('POST', '/api/auth/login', { json: { username: 'admin', password: ADMIN_PASSWORD } })).body.accessToken;
    plain = (await registerAndLogin(server, 'plain@example.com')).accessToken;
    const readerAccount = await registerAndLogin(server, 'reader@example.com');
    reader = readerAccount.accessToken;
    await server.app.services.database.db.insertInto('permissions').values({ subject_type: 'account', subject_id: readerAccount.userId, permission: 'clients:read' }).execute();
    const helperAccount = await registerAndLogin(server, 'helper@example.com');
    expect((await server.request('PUT', '/api/auth/admin/account', { token: admin, json: { id: helperAccount.userId, roles: ['admin'] } })).status).toBe(200);
    helper = helperAccount.accessToken;
  });
  afterAll(async () => server?.close());

  const db = () => server.app.services.database.db;
  const row = (clientID: string) => db().selectFrom('clients').selectAll().where('client_id', '=', clientID).executeTakeFirst();
  const events = (type: string, clientID: string) => db().selectFrom('audit_events').selectAll().where('type', '=', type).execute()
    .then((rows) => rows.filter((r) => JSON.parse(r.data ?? '{}').clientID === clientID));
  const rotate = (clientID: string, token = admin) => server.request('POST', `/clients/${clientID}/secret`, { token });

  it('creates an OpenID client: the secret is answered once, only its hash is stored, reads never show it', async () => {
    const made = await server.request('POST', '/clients', { token: admin, json: webApp });
    expect(made.status).toBe(201);
    expect(made.headers.get('cache-control')).toBe('no-store');
    const { clientSecret, _links, ...shown } = made.body;
    expect(clientSecret).toMatch(SECRET);
    expect(shown).toEqual({ ...webApp, config: { tokenMethod: ['query'], disableStrategies: [] }, jwks: null, jwksUri: null });

    const stored = await row('web-app');
    expect(stored?.secret_hash).toBe(hashClientSecret(clientSecret));
    expect(JSON.stringify(stored)).not.toContain(clientSecret);
    expect(stored?.secret_created_at).toBe(server.clock.now());
    const { clientID: _id, callbackURL: _url, name: _name, ...oidcFields } = webApp;
    expect(JSON.parse(stored!.oidc!)).toEqual({ ...oidcFields, jwks: null, jwksUri: null });
    const withSecret = await findClientWithSecret(db(), 'web-app');
    expect(clientSecretMatches(withSecret!.secretHash, clientSecret)).toBe(true);

    const read = await server.request('GET', '/clients/web-app', { token: reader });
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ ...shown, _links });
    expect(read.headers.get('cache-control')).not.toBe('no-store');
    const listed = await server.request('GET', '/clients', { token: reader });
    expect(JSON.stringify(listed.body)).not.toContain(clientSecret);
    expect(listed.body._embedded['ec:client'].find((c: { clientID: string }) => c.clientID === 'web-app')).toEqual({ ...shown, _links });
    expect(await events('client.created', 'web-app')).toHaveLength(1);
    expect(JSON.stringify(await events('client.created', 'web-app'))).not.toContain(clientSecret);
  });

  it('fills the fields not given from the defaults, and a client given none stays a seed-000 client', async () => {
    const made = await server.request('POST', '/clients', { token: admin, json: { clientID: 'minimal', callbackURL: 'https://min.example/cb', redirectUris: ['https://min.example/cb'] } });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      redirectUris: ['https://min.example/cb'], postLogoutRedirectUris: [], grantTypes: ['authorization_code', 'refresh_token'],
      tokenEndpointAuthMethod: 'client_secret_basic', scopes: ['openid', 'profile', 'email', 'offline_access'], firstParty: false,
      backchannelLogoutUri: null, jwks: null, jwksUri: null, clientSecret: expect.stringMatching(SECRET),
    });
    const seed000 = await server.request('POST', '/clients', { token: admin, json: { clientID: 'seed-000', callbackURL: 'https://old.example/cb' } });
    expect(seed000.status).toBe(201);
    expect(Object.keys(seed000.body).sort()).toEqual(['_links', 'callbackURL', 'clientID', 'config']);
    expect(seed000.headers.get('cache-control')).not.toBe('no-store');
    expect(await row('seed-000')).toMatchObject({ oidc: null, secret_hash: null });
  });

  it('makes no secret for a public client or a private_key_jwt client', async () => {
    const spa = await server.request('POST', '/clients', {
      token: admin, json: { clientID: 'spa', callbackURL: 'https://spa.example/cb', redirectUris: ['https://spa.example/cb', 'http://localhost:5173/cb', 'http://[::1]:5173/cb'], tokenEndpointAuthMethod: 'none' },
    });
    expect(spa.status).toBe(201);
    expect(spa.body).not.toHaveProperty('clientSecret');
    expect(spa.body.grantTypes).toEqual(['authorization_code', 'refresh_token']);
    const jwks = { keys: [{ ...publicKey(), kid: 'k1', use: 'sig', alg: 'RS256' }] };
    const service = await server.request('POST', '/clients', {
      token: admin, json: { clientID: 'service', callbackURL: 'https://svc.example/cb', grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'private_key_jwt', jwks },
    });
    expect(service.status).toBe(201);
    expect(service.body).not.toHaveProperty('clientSecret');
    expect(service.body).toMatchObject({ redirectUris: [], jwks, jwksUri: null });
    expect((await server.request('GET', '/clients/service', { token: admin })).body.jwks).toEqual(jwks);
    for (const id of ['spa', 'service']) expect((await row(id))?.secret_hash).toBeNull();
  });

  it('rotates a secret: the new one is answered once, the old one stops working', async () => {
    const before = (await row('minimal'))!.secret_hash;
    server.clock.advance(60_000);
    const rotated = await rotate('minimal');
    expect(rotated.status).toBe(200);
    expect(rotated.headers.get('cache-control')).toBe('no-store');
    expect(rotated.body).toMatchObject({ clientID: 'minimal', redirectUris: ['https://min.example/cb'], clientSecret: expect.stringMatching(SECRET) });
    const after = await row('minimal');
    expect(after?.secret_hash).toBe(hashClientSecret(rotated.body.clientSecret));
    expect(after?.secret_hash).not.toBe(before);
    expect(after?.secret_created_at).toBe(server.clock.now());
    expect((await server.request('GET', '/clients/minimal', { token: admin })).body).not.toHaveProperty('clientSecret');
    const again = await rotate('minimal', helper);
    expect(again.status).toBe(200);
    expect(clientSecretMatches((await row('minimal'))!.secret_hash, rotated.body.clientSecret)).toBe(false);
    expect(clientSecretMatches((await row('minimal'))!.secret_hash, again.body.clientSecret)).toBe(true);
    expect(await events('client.secret-rotated', 'minimal')).toHaveLength(2);
  });

  it('refuses to rotate what has no secret, naming why, and changes nothing', async () => {
    for (const [id, method] of [['spa', 'none'], ['service', 'private_key_jwt'], ['seed-000', 'is not set']] as const) {
      const refused = await rotate(id);
      expect(refused.status, id).toBe(409);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(refused.body).toMatchObject({ code: 'conflict', errors: [{ field: 'tokenEndpointAuthMethod', message: expect.stringContaining(method) }] });
      expect((await row(id))?.secret_hash).toBeNull();
    }
    expect((await rotate('nobody')).status).toBe(404);
  });

  it('asks the permissions of the client routes: clients:write to rotate, a token to do anything', async () => {
    const hash = (await row('minimal'))!.secret_hash;
    expect((await server.request('POST', '/clients/minimal/secret')).status).toBe(401);
    for (const token of [plain, reader]) {
      expect((await rotate('minimal', token)).status).toBe(403);
      expect((await server.request('POST', '/clients', { token, json: { clientID: 'nope', callbackURL: 'https://n.example/cb', redirectUris: ['https://n.example/cb'] } })).status).toBe(403);
    }
    expect((await row('minimal'))!.secret_hash).toBe(hash);
    expect(await row('nope')).toBeUndefined();
  });

  it('lets no one give, change or re-key a client that allows permissions above their rank', async () => {
    // webApp allows orders:read, which the admin role does not hold (the sysadmin that made it does).
    const hash = (await row('web-app'))!.secret_hash;
    expect((await rotate('web-app', helper)).status).toBe(403);
    const put = await server.request('PUT', '/clients/web-app', { token: helper, json: { ...webApp, clientID: undefined, scopes: ['openid'] } });
    expect(put.status).toBe(403);
    const made = await server.request('POST', '/clients', { token: helper, json: { clientID: 'above', callbackURL: 'https://a.example/cb', grantTypes: ['client_credentials'], scopes: ['openid', 'clients:read', 'orders:read'] } });
    expect(made.status).toBe(403);
    expect(made.body.errors).toEqual([{ field: 'scopes.2', message: 'is a permission you do not hold' }]);
    expect((await row('web-app'))!.secret_hash).toBe(hash);
    expect(await row('above')).toBeUndefined();
    const within = await server.request('POST', '/clients', { token: helper, json: { clientID: 'within', callbackURL: 'https://w.example/cb', grantTypes: ['client_credentials'], scopes: ['roles', 'clients:read'] } });
    expect(within.status).toBe(201);
    expect(within.body.clientSecret).toMatch(SECRET);
  });

  it('PUT: a first secret when the client starts using one, kept (never shown) after, removed with a method that uses none', async () => {
    const base = { callbackURL: 'https://old.example/cb' };
    const toOidc = await server.request('PUT', '/clients/seed-000', { token: admin, json: { ...base, redirectUris: ['https://old.example/oidc'], tokenEndpointAuthMethod: 'client_secret_basic' } });
    expect(toOidc.status).toBe(200);
    expect(toOidc.headers.get('cache-control')).toBe('no-store');
    expect(toOidc.body.clientSecret).toMatch(SECRET);
    const first = (await row('seed-000'))!.secret_hash;
    expect(first).toBe(hashClientSecret(toOidc.body.clientSecret));

    const kept = await server.request('PUT', '/clients/seed-000', { token: admin, json: { ...base, redirectUris: ['https://old.example/oidc2'], tokenEndpointAuthMethod: 'client_secret_post' } });
    expect(kept.status).toBe(200);
    expect(kept.body).not.toHaveProperty('clientSecret');
    expect(kept.body.redirectUris).toEqual(['https://old.example/oidc2']);
    expect((await row('seed-000'))!.secret_hash).toBe(first);

    const toPublic = await server.request('PUT', '/clients/seed-000', { token: admin, json: { ...base, redirectUris: ['https://old.example/oidc2'], tokenEndpointAuthMethod: 'none' } });
    expect(toPublic.body).not.toHaveProperty('clientSecret');
    expect(await row('seed-000')).toMatchObject({ secret_hash: null, secret_created_at: null });

    const back = await server.request('PUT', '/clients/seed-000', { token: admin, json: { ...base, redirectUris: ['https://old.example/oidc2'] } });
    expect(back.body.clientSecret).toMatch(SECRET);
    expect(back.body.clientSecret).not.toBe(toOidc.body.clientSecret);

    const plainAgain = await server.request('PUT', '/clients/seed-000', { token: admin, json: base });
    expect(Object.keys(plainAgain.body).sort()).toEqual(['_links', 'callbackURL', 'clientID', 'config']);
    expect(await row('seed-000')).toMatchObject({ oidc: null, secret_hash: null });
    expect(await events('client.updated', 'seed-000')).toHaveLength(5);
  });

  it('takes back what GET shows: a PUT of the read client changes nothing', async () => {
    const { _links, clientID, ...read } = (await server.request('GET', '/clients/web-app', { token: admin })).body;
    const hash = (await row('web-app'))!.secret_hash;
    const put = await server.request('PUT', '/clients/web-app', { token: admin, json: read });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ ...read, clientID, _links });
    expect((await row('web-app'))!.secret_hash).toBe(hash);
  });

  it('documents the fields in the OpenAPI document, and the secret only in the answers that make one', async () => {
    const spec = (await server.request('GET', '/openapi.json')).body;
    const text = JSON.stringify(spec);
    expect(spec.paths['/clients/{clientID}/secret'].post).toBeDefined();
    const schemaOf = (path: string, method: string, status: string) => {
      const schema = spec.paths[path][method].responses[status].content['application/json']?.schema ?? Object.values(spec.paths[path][method].responses[status].content as Record<string, { schema: unknown }>)[0]!.schema;
      const ref = (schema as { $ref?: string }).$ref;
      return ref ? spec.components.schemas[ref.split('/').pop()!] : schema;
    };
    const client = schemaOf('/clients/{clientID}', 'get', '200');
    for (const field of ['redirectUris', 'postLogoutRedirectUris', 'grantTypes', 'tokenEndpointAuthMethod', 'scopes', 'firstParty', 'backchannelLogoutUri', 'jwks', 'jwksUri']) {
      expect(client.properties, field).toHaveProperty(field);
    }
    expect(client.properties).not.toHaveProperty('clientSecret');
    expect(schemaOf('/clients', 'post', '201').properties).toHaveProperty('clientSecret');
    expect(schemaOf('/clients/{clientID}/secret', 'post', '200').required).toContain('clientSecret');
    expect(text).toContain('client_secret_basic');
  });
});
