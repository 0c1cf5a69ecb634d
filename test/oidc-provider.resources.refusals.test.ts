import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../src/config/index.js';
import { problemsOf } from './helpers/config.js';
import { addOidcClient } from './helpers/oidc-clients.js';
import { authorizationRequest, issuedTokenCount } from './helpers/oidc-flow.js';
import { dialects, startServer, type TestServer } from './helpers/server.js';

/**
 * What the register of resource servers refuses: at the authorization endpoint (an unknown API, one the client may
 * not use → `invalid_target`; a scope of no API it names → `invalid_scope`, back at the client's redirect URI with no
 * code), and in the configuration (every problem naming its key).
 */
const ORDERS = 'https://orders.example.com/api';
const BILLING = 'https://billing.example.com';
const resources = [
  { indicator: ORDERS, scopes: ['orders:read', 'orders:write'], clients: ['app'] },
  { indicator: BILLING, scopes: ['invoices:read'], clients: ['other'] },
];

describe.each(dialects)('the authorization endpoint and oidc.resources (%s)', (dialect) => {
  let server: TestServer;
  const app = 'http://127.0.0.1:9/cb';

  beforeAll(async () => {
    server = await startServer(dialect, { config: { oidc: { resources } } });
    await addOidcClient(server, 'app', { redirectUris: [app] }, 'app-secret-0123456789abcdef-0123456789');
  });
  afterAll(async () => server?.close());

  /** The answer as the client receives it at its redirect URI: the error, with the state and no code. */
  async function answerAtClient(extra: Record<string, string>, edit?: (url: URL) => void): Promise<URLSearchParams> {
    const before = await issuedTokenCount(server);
    const request = authorizationRequest(server, 'app', app, extra);
    edit?.(request.url);
    const response = await fetch(request.url, { redirect: 'manual' });
    expect(response.status).toBe(303);
    const back = new URL(response.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe(app);
    expect(back.searchParams.get('state')).toBe(request.state);
    expect(back.searchParams.has('code')).toBe(false);
    expect(await issuedTokenCount(server)).toBe(before);
    return back.searchParams;
  }

  it('an unknown resource, and an API the client may not use: invalid_target', async () => {
    const unknown = await answerAtClient({ resource: 'https://unknown.example.com', scope: 'openid' });
    expect([unknown.get('error'), unknown.get('error_description')]).toEqual(['invalid_target', 'unknown resource https://unknown.example.com']);
    const billing = await answerAtClient({ resource: BILLING, scope: 'openid invoices:read' });
    expect(billing.get('error')).toBe('invalid_target');
    expect(billing.get('error_description')).toContain('not allowed for this client');
    // One allowed and one not: the whole request is refused.
    const both = await answerAtClient({ resource: ORDERS, scope: 'openid' }, (url) => url.searchParams.append('resource', BILLING));
    expect(both.get('error')).toBe('invalid_target');
  });

  it('not an absolute URI, or one with a fragment: invalid_target', async () => {
    for (const resource of ['orders', `${ORDERS}#part`]) {
      expect((await answerAtClient({ resource, scope: 'openid' })).get('error'), resource).toBe('invalid_target');
    }
  });

  it('a scope of another API, or an API’s scope without its resource: invalid_scope', async () => {
    const other = await answerAtClient({ resource: ORDERS, scope: 'openid orders:read invoices:read' });
    expect([other.get('error'), other.get('error_description')]).toEqual(['invalid_scope', 'requested scope is not allowed']);
    const bare = await answerAtClient({ scope: 'openid orders:read' });
    expect(bare.get('error')).toBe('invalid_scope');
  });

  it('an allowed API with its own scope goes on to the sign-in (no refusal)', async () => {
    const request = authorizationRequest(server, 'app', app, { resource: ORDERS, scope: 'openid orders:read' });
    const response = await fetch(request.url, { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(new URL(response.headers.get('location')!, server.url).pathname).toMatch(/^\/oidc\/interaction\//);
  });
});

describe('oidc.resources in the configuration', () => {
  const good = { indicator: ORDERS, scopes: ['orders:read'], clients: ['app'] };

  it('reads an API with its defaults (no name, the provider’s token lifetime) and with its own', () => {
    expect(parseConfig({ oidc: { resources: [good] } }, {}).oidc.resources).toEqual([{ ...good, name: null, accessTokenTtl: null }]);
    const own = parseConfig({ oidc: { resources: [{ ...good, name: 'Orders', accessTokenTtl: '90s' }] } }, {}).oidc.resources[0];
    expect(own).toMatchObject({ name: 'Orders', accessTokenTtl: 90_000 });
    const fromEnv = parseConfig({}, { GATEHOUSE_OIDC__RESOURCES: `[{indicator: "${BILLING}", scopes: [invoices:read], clients: [svc]}]` }).oidc.resources;
    expect(fromEnv).toEqual([{ indicator: BILLING, scopes: ['invoices:read'], clients: ['svc'], name: null, accessTokenTtl: null }]);
  });

  it('takes the example of docs/oidc-provider.md as written', () => {
    const docs = readFileSync('docs/oidc-provider.md', 'utf8');
    const example = /## Resource servers \(APIs\)[\s\S]*?```yaml\n([\s\S]*?)```/.exec(docs)![1]!;
    expect(parseConfig(parseYaml(example), {}).oidc.resources).toEqual([{
      indicator: 'https://orders.example.com/api', name: 'Orders', scopes: ['orders:read', 'orders:write'], clients: ['my-app', 'billing-worker'], accessTokenTtl: 5 * 60_000,
    }]);
  });

  it('names the key of every problem: a bad URI, a fragment, the reserved URN, a duplicate, a bad scope, a bad lifetime', () => {
    expect(problemsOf({ oidc: { resources: [
      good,
      { indicator: 'orders-api' },
      { indicator: `${BILLING}/#x` },
      { indicator: 'urn:gatehouse:client' },
      { ...good },
      { indicator: BILLING, scopes: ['openid'] },
      { indicator: 'https://c.example', scopes: ['a b'] },
      { indicator: 'https://d.example', accessTokenTtl: '0s' },
      { scopes: ['x'] },
      { indicator: 'https://e.example', audience: 'x' },
    ] } })).toEqual([
      'oidc.resources[1].indicator: must be an absolute URI such as https://api.example.com (RFC 8707) (got "orders-api")',
      `oidc.resources[2].indicator: must not contain a fragment (RFC 8707 §2) (got "${BILLING}/#x")`,
      "oidc.resources[3].indicator: urn:gatehouse:client is reserved for a client's tokens for itself",
      'oidc.resources[5].scopes: item 0: openid is an OpenID scope, not an API\'s (got "openid")',
      expect.stringMatching(/^oidc\.resources\[6\]\.scopes: item 0: must be 1 to 256 printable characters without spaces/),
      expect.stringMatching(/^oidc\.resources\[7\]\.accessTokenTtl: must be longer than 0/),
      'oidc.resources[8].indicator: required',
      'oidc.resources[9].audience: unknown key',
      `oidc.resources[4].indicator: duplicate of oidc.resources[0].indicator ("${ORDERS}")`,
    ]);
    expect(problemsOf({ oidc: { resources: { indicator: ORDERS } } })).toEqual([expect.stringMatching(/^oidc\.resources: must be a list/)]);
  });
});
