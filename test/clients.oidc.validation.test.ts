import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, startServer, type TestServer } from './helpers/server.js';

/* Bad OpenID fields on POST and PUT /clients (issue 18): each is a problem+json naming its field, and nothing is stored. */

const ADMIN_PASSWORD = 'bootstrap-pw';
const base = { callbackURL: 'https://app.example/cb' };
const code = { redirectUris: ['https://app.example/oidc'] };
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicJwk = { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'k1' };
const privateJwk = { ...rsa.privateKey.export({ format: 'jwk' }), kid: 'k1' };
const shortRsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });

/** Bodies (besides clientID and callbackURL) and the field each must be refused for. */
const refused: Array<[string, Record<string, unknown>, string]> = [
  ['plain http off loopback', { redirectUris: ['http://app.example/cb'] }, 'redirectUris.0'],
  ['a look-alike loopback host', { redirectUris: ['http://localhost.evil.example/cb'] }, 'redirectUris.0'],
  ['a fragment', { redirectUris: ['https://app.example/cb#x'] }, 'redirectUris.0'],
  ['userinfo', { redirectUris: ['https://app.example@evil.example/cb'] }, 'redirectUris.0'],
  ['a relative URI', { redirectUris: ['/cb'] }, 'redirectUris.0'],
  ['a javascript: URI', { redirectUris: ['https://app.example/ok', 'javascript:alert(1)'] }, 'redirectUris.1'],
  ['spaces', { redirectUris: ['https://app.example/a b'] }, 'redirectUris.0'],
  ['too many URIs', { redirectUris: Array.from({ length: 21 }, (_, i) => `https://app.example/${i}`) }, 'redirectUris'],
  ['a URI too long', { redirectUris: [`https://app.example/${'a'.repeat(2040)}`] }, 'redirectUris.0'],
  ['a string for a list', { redirectUris: 'https://app.example/cb' }, 'redirectUris'],
  ['an empty URI', { redirectUris: [''] }, 'redirectUris.0'],
  ['a bad post-logout URI', { ...code, postLogoutRedirectUris: ['http://app.example/bye'] }, 'postLogoutRedirectUris.0'],
  ['a bad back-channel URI', { ...code, backchannelLogoutUri: 'https://app.example/bc#frag' }, 'backchannelLogoutUri'],
  ['an unknown grant', { ...code, grantTypes: ['password'] }, 'grantTypes.0'],
  ['no grant', { ...code, grantTypes: [] }, 'grantTypes'],
  ['refresh_token alone', { ...code, grantTypes: ['refresh_token'] }, 'grantTypes'],
  ['a code grant without a redirect URI', { grantTypes: ['authorization_code'] }, 'redirectUris'],
  ['client_credentials for a public client', { ...code, grantTypes: ['authorization_code', 'client_credentials'], tokenEndpointAuthMethod: 'none' }, 'grantTypes'],
  ['an unknown auth method', { ...code, tokenEndpointAuthMethod: 'client_secret_jwt' }, 'tokenEndpointAuthMethod'],
  ['private_key_jwt without keys', { grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'private_key_jwt' }, 'jwks'],
  ['private_key_jwt with keys twice', { grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [publicJwk] }, jwksUri: 'https://app.example/jwks' }, 'jwksUri'],
  ['a private key', { grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [privateJwk] } }, 'jwks.keys.0'],
  ['a symmetric key', { grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, 'jwks.keys.0'],
  ['a short RSA key', { grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [shortRsa] } }, 'jwks.keys.0'],
  ['a broken key', { grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' }] } }, 'jwks.keys.0'],
  ['an encryption key', { grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [{ ...publicJwk, use: 'enc' }] } }, 'jwks.keys.0'],
  ['an empty key set', { grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [] } }, 'jwks.keys'],
  ['keys for a secret client', { ...code, jwks: { keys: [publicJwk] } }, 'jwks'],
  ['a JWKS URL off https', { grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: 'http://keys.example/jwks' }, 'jwksUri'],
  ['a scope with a space', { ...code, scopes: ['openid profile'] }, 'scopes.0'],
  ['a scope with a quote', { ...code, scopes: ['a"b'] }, 'scopes.0'],
  ['an empty scope', { ...code, scopes: [''] }, 'scopes.0'],
  ['a number for firstParty', { ...code, firstParty: 1 }, 'firstParty'],
  ['a string for firstParty', { ...code, firstParty: 'yes' }, 'firstParty'],
  ['an unknown field', { ...code, clientSecret: 'mine' }, 'clientSecret'],
  ['SQL in a URI', { redirectUris: ["https://app.example/cb'); DROP TABLE clients;--"] }, 'redirectUris.0'],
  ['a NUL in a scope', { ...code, scopes: ['open\u0000id'] }, 'scopes.0'],
];

describe.each(dialects)('OpenID client fields refused on %s', (dialect) => {
  let server: TestServer;
  let admin: string;
  beforeAll(async () => {
    server = await startServer(dialect, { env: { GATEHOUSE_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    admin = (await server.request('POST', '/api/auth/login', { json: { username: 'admin', password: ADMIN_PASSWORD } })).body.accessToken;
    expect((await server.request('POST', '/clients', { token: admin, json: { clientID: 'existing', ...base } })).status).toBe(201);
  });
  afterAll(async () => server?.close());

  const count = async () => Number((await server.app.services.database.db.selectFrom('clients').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow()).n);
  const existing = () => server.app.services.database.db.selectFrom('clients').selectAll().where('client_id', '=', 'existing').executeTakeFirstOrThrow();

  it.each(refused)('POST refuses %s, naming the field', async (_what, fields, field) => {
    const before = await count();
    const answer = await server.request('POST', '/clients', { token: admin, json: { clientID: 'refused', ...base, ...fields } });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
    expect(answer.body.code).toBe('invalid-request');
    expect(answer.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(JSON.stringify(answer.body)).not.toContain(String(privateJwk.d));
    expect(await count()).toBe(before);
  });

  it.each(refused)('PUT refuses %s, naming the field, and leaves the client as it was', async (_what, fields, field) => {
    const before = await existing();
    const answer = await server.request('PUT', '/clients/existing', { token: admin, json: { ...base, ...fields } });
    expect(answer.status).toBe(400);
    expect(answer.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(await existing()).toEqual(before);
  });

  it('reports every problem of a body at once', async () => {
    const answer = await server.request('POST', '/clients', {
      token: admin, json: { clientID: 'many', ...base, redirectUris: ['http://app.example/cb'], postLogoutRedirectUris: ['https://app.example/#x'], backchannelLogoutUri: 'ftp://app.example/bc' },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.errors.map((e: { field: string }) => e.field)).toEqual(['redirectUris.0', 'postLogoutRedirectUris.0', 'backchannelLogoutUri']);
    expect(answer.body.errors[0].message).toMatch(/https:\/\/ URL \(http:\/\/ only on a loopback host/);
  });

  it('refuses a body over the size limit without storing it', async () => {
    const before = await count();
    const answer = await server.request('POST', '/clients', { token: admin, json: { clientID: 'huge', ...base, scopes: Array.from({ length: 5000 }, (_, i) => `scope:${i}:${'x'.repeat(200)}`) } });
    expect([400, 413]).toContain(answer.status);
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
    expect(await count()).toBe(before);
  });

  it('drops duplicate list items and accepts loopback http in every form', async () => {
    const made = await server.request('POST', '/clients', {
      token: admin,
      json: {
        clientID: 'dupes', ...base, redirectUris: ['http://127.0.0.1/cb', 'http://127.0.0.1/cb', 'http://127.9.9.9:9/cb', 'http://localhost/cb', 'http://[::1]/cb'],
        grantTypes: ['authorization_code', 'authorization_code'], scopes: ['openid', 'openid', 'orders:read'],
      },
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ redirectUris: ['http://127.0.0.1/cb', 'http://127.9.9.9:9/cb', 'http://localhost/cb', 'http://[::1]/cb'], grantTypes: ['authorization_code'], scopes: ['openid', 'orders:read'] });
  });
});
