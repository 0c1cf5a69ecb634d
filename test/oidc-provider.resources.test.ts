import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAuthlib, type AuthlibTokenAnswer } from './helpers/authlib-python.js';
import { verifyWithPyJwt } from './helpers/jwt-python.js';
import { addOidcClient } from './helpers/oidc-clients.js';
import { postToProvider } from './helpers/oidc-flow.js';
import { dialects, startServer, type TestServer } from './helpers/server.js';

/**
 * The register of resource servers (`oidc.resources`, RFC 8707 / RFC 9068) with client credentials: a client the
 * register names gets an at+jwt whose `aud` is the API, verified by jose, PyJWT and authlib — none of them ours;
 * anyone else, or an unknown resource, is refused `invalid_target`.
 */
const secret = 'svc-secret-0123456789abcdef-0123456789';
const ORDERS = 'https://orders.example.com/api';
const BILLING = 'https://billing.example.com';
const REPORTS = 'https://reports.example.com';
const resources = [
  { indicator: ORDERS, name: 'Orders', scopes: ['orders:read', 'orders:write'], clients: ['svc', 'rp'], accessTokenTtl: '2m' },
  { indicator: BILLING, scopes: ['invoices:read'], clients: ['other'] },
  { indicator: REPORTS, scopes: ['reports:all'], clients: ['svc'] },
];

async function discover(server: TestServer, id: string): Promise<client.Configuration> {
  return client.discovery(new URL(server.url), id, secret, undefined, { execute: [client.allowInsecureRequests] });
}

describe.each(dialects)('client credentials for an API of oidc.resources (%s)', (dialect) => {
  let server: TestServer;
  let svc: client.Configuration;

  beforeAll(async () => {
    server = await startServer(dialect, { config: { oidc: { resources } } });
    await addOidcClient(server, 'svc', { redirectUris: [], grantTypes: ['client_credentials'], scopes: ['reports:read'] }, secret);
    await addOidcClient(server, 'other', { redirectUris: [], grantTypes: ['client_credentials'], scopes: [] }, secret);
    svc = await discover(server, 'svc');
  });
  afterAll(async () => server?.close());

  it('openid-client gets an at+jwt for the API: aud the indicator, the asked scopes among its, sub the client, the API’s lifetime', async () => {
    const tokens = await client.clientCredentialsGrant(svc, { scope: 'orders:read', resource: ORDERS });
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ typ: 'at+jwt', alg: 'RS256' });
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: server.url, audience: ORDERS, typ: 'at+jwt' });
    expect(payload).toMatchObject({ aud: ORDERS, sub: 'svc', client_id: 'svc', scope: 'orders:read' });
    expect(payload.exp! - payload.iat!).toBe(120);
    expect(tokens.expires_in).toBe(120);
    // The same token is no token for the client itself.
    await expect(jwtVerify(tokens.access_token, jwks, { audience: 'svc' })).rejects.toThrow(/aud/);

    const jwksBody = await (await fetch(`${server.url}/.well-known/jwks.json`)).json() as { keys: Array<Record<string, unknown>> };
    const py = await verifyWithPyJwt({ token: tokens.access_token, algorithm: 'RS256', issuer: server.url, jwks: jwksBody, audience: ORDERS });
    expect(py.claims).toMatchObject({ aud: ORDERS, sub: 'svc', scope: 'orders:read' });
    await expect(verifyWithPyJwt({ token: tokens.access_token, algorithm: 'RS256', issuer: server.url, jwks: jwksBody, audience: BILLING })).rejects.toThrow(/Audience/i);
  });

  it('authlib (python) sends resource= and verifies the JWT against the JWKS with the indicator as audience', async () => {
    const answer = await runAuthlib<AuthlibTokenAnswer>(server.url, 'client_credentials', { clientId: 'svc', secret, scope: 'orders:read orders:write', resource: ORDERS, verify: true });
    expect(answer.error).toBeUndefined();
    expect(answer.token).toMatchObject({ token_type: 'Bearer', scope: 'orders:read orders:write' });
    expect(answer.verified!.header).toMatchObject({ typ: 'at+jwt', alg: 'RS256' });
    expect(answer.verified!.claims).toMatchObject({ iss: server.url, aud: ORDERS, sub: 'svc', client_id: 'svc', scope: 'orders:read orders:write' });
  });

  it('no scope asked: none granted; a scope of the client’s own is dropped from the API’s token (only the API’s scopes)', async () => {
    const none = await client.clientCredentialsGrant(svc, { resource: ORDERS });
    expect(none.scope).toBeUndefined();
    expect(decodeJwt(none.access_token)).toMatchObject({ aud: ORDERS });
    expect(decodeJwt(none.access_token).scope).toBeUndefined();
    const mixed = await client.clientCredentialsGrant(svc, { scope: 'orders:write reports:read', resource: ORDERS });
    expect(mixed.scope).toBe('orders:write');
    expect(decodeJwt(mixed.access_token).scope).toBe('orders:write');
  });

  it('without a resource the token is still for the client itself (urn:gatehouse:client)', async () => {
    const tokens = await client.clientCredentialsGrant(svc, { scope: 'reports:read' });
    expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: 'svc', scope: 'reports:read' });
  });

  it('refuses an unknown resource, an API not allowed for the client, and a bad indicator with invalid_target; a scope nobody allowed with invalid_scope', async () => {
    await expect(client.clientCredentialsGrant(svc, { scope: 'orders:read', resource: 'https://unknown.example.com' })).rejects.toMatchObject({ error: 'invalid_target', error_description: expect.stringContaining('unknown resource') });
    await expect(client.clientCredentialsGrant(svc, { resource: BILLING })).rejects.toMatchObject({ error: 'invalid_target', error_description: expect.stringContaining('not allowed') });
    const other = await discover(server, 'other');
    await expect(client.clientCredentialsGrant(other, { resource: ORDERS })).rejects.toMatchObject({ error: 'invalid_target' });
    expect((await client.clientCredentialsGrant(other, { scope: 'invoices:read', resource: BILLING })).scope).toBe('invoices:read');
    // Matched exactly as configured: another spelling of the same URL is another resource.
    await expect(client.clientCredentialsGrant(svc, { resource: `${ORDERS}/` })).rejects.toMatchObject({ error: 'invalid_target' });
    const fragment = await postToProvider(server, '/oidc/token', { grant_type: 'client_credentials', resource: `${ORDERS}#x` }, { id: 'svc', secret });
    expect(fragment).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
    expect((await client.clientCredentialsGrant(svc, { scope: 'reports:all', resource: REPORTS })).scope).toBe('reports:all');
    // One audience per token: two resources in one token request are refused, even two the client may use.
    const two = new URLSearchParams([['grant_type', 'client_credentials'], ['resource', ORDERS], ['resource', REPORTS]]);
    const answer = await fetch(`${server.url}/oidc/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`svc:${secret}`).toString('base64')}` }, body: two });
    expect([answer.status, ((await answer.json()) as { error: string }).error]).toEqual([400, 'invalid_target']);
    // A scope of an API the client may not use is no scope of this request at all.
    await expect(client.clientCredentialsGrant(svc, { scope: 'orders:read invoices:read', resource: ORDERS })).rejects.toMatchObject({ error: 'invalid_scope' });
    const authlib = await runAuthlib<AuthlibTokenAnswer>(server.url, 'client_credentials', { clientId: 'other', secret, scope: 'orders:read', resource: ORDERS });
    expect(authlib).toMatchObject({ error: 'invalid_target' });
    expect(authlib.token).toBeUndefined();
  });
});

describe('an API’s tokens with tokens.clientFormat: opaque (postgres)', () => {
  let server: TestServer;
  afterAll(async () => server?.close());

  it('are opaque references; introspection shows the API as aud, its scope and the client', async () => {
    server = await startServer('postgres', { config: { tokens: { clientFormat: 'opaque' }, oidc: { resources } } });
    await addOidcClient(server, 'svc', { redirectUris: [], grantTypes: ['client_credentials'], scopes: [] }, secret);
    const svc = await discover(server, 'svc');
    const tokens = await client.clientCredentialsGrant(svc, { scope: 'orders:read', resource: ORDERS });
    expect(tokens.access_token.split('.')).toHaveLength(1);
    expect(await client.tokenIntrospection(svc, tokens.access_token)).toMatchObject({ active: true, aud: ORDERS, client_id: 'svc', scope: 'orders:read', token_type: 'Bearer' });
  });
});

function decodeJwt(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}
