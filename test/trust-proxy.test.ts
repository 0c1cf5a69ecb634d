/**
 * server.trustProxy / server.trustEveryProxy (CONTRACT §2): which peers may name the client address. Behind the
 * shipped deploy/nginx.conf a client that forges `X-Forwarded-For` is still recorded and counted as itself.
 */
import { spawnSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, fastifyTrustProxy, parseConfig } from '../src/config/index.js';
import { startShippedNginx, type NginxGateway } from './helpers/nginx.js';
import { goodPassword, startServer, type TestServer } from './helpers/server.js';

/** The problem lines of a configuration that must not start. */
function problemsOf(input: unknown, env: Record<string, string> = {}): readonly string[] {
  try {
    parseConfig(input, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

const trustProxyOf = (value: unknown) => parseConfig({ server: { trustProxy: value } }).server.trustProxy;

describe('server.trustProxy configuration', () => {
  it('defaults to trusting no proxy', () => {
    const { server } = parseConfig({});
    expect([server.trustProxy, server.trustEveryProxy]).toEqual([false, false]);
  });

  it('accepts false, a hop count and a list of IPv4/IPv6 addresses and CIDRs', () => {
    expect(trustProxyOf(false)).toBe(false);
    expect(trustProxyOf(0)).toBe(0);
    expect(trustProxyOf(1)).toBe(1);
    expect(trustProxyOf('2')).toBe(2);
    const list = ['10.0.0.0/8', '127.0.0.1', '::1', 'fd00::/8', '192.168.1.7/32', '::ffff:10.1.2.3', '10.0.0.0/10'];
    expect(trustProxyOf(list)).toEqual(list);
    expect(trustProxyOf(' 10.0.0.5 ')).toEqual(['10.0.0.5']);
    expect(trustProxyOf('10.0.0.5, 10.0.0.6')).toEqual(['10.0.0.5', '10.0.0.6']);
  });

  it('refuses true unless server.trustEveryProxy is also set', () => {
    const problems = problemsOf({ server: { trustProxy: true } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^server\.trustProxy: true trusts every hop, so any client can forge its address/);
    expect(problems[0]).toContain('server.trustEveryProxy: true');
    expect(problemsOf({ server: { trustProxy: 'on', trustEveryProxy: false } })[0]).toMatch(/^server\.trustProxy: true trusts every hop/);
    const everyHop = parseConfig({ server: { trustProxy: true, trustEveryProxy: true } }).server;
    expect([everyHop.trustProxy, everyHop.trustEveryProxy]).toEqual([true, true]);
    // A /0 range is true in disguise.
    expect(problemsOf({ server: { trustProxy: ['10.0.0.5', '0.0.0.0/0', '::/00'] } })).toEqual([
      expect.stringMatching(/^server\.trustProxy: item 1: "0\.0\.0\.0\/0" trusts every address like true does; .*server\.trustEveryProxy: true$/),
      expect.stringMatching(/^server\.trustProxy: item 2: "::\/00" trusts every address like true does/),
    ]);
    expect(parseConfig({ server: { trustProxy: ['0.0.0.0/0'], trustEveryProxy: true } }).server.trustProxy).toEqual(['0.0.0.0/0']);
    // trustEveryProxy alone changes nothing.
    expect(parseConfig({ server: { trustProxy: 1, trustEveryProxy: true } }).server.trustProxy).toBe(1);
  });

  it('refuses bad hop counts and bad entries, naming the key and the entry', () => {
    expect(problemsOf({ server: { trustProxy: -1 } })).toEqual(['server.trustProxy: must be false, a hop count (integer ≥ 0), or a list of proxy addresses/CIDRs (got -1)']);
    expect(problemsOf({ server: { trustProxy: 1.5 } })[0]).toMatch(/^server\.trustProxy: must be false, a hop count .* \(got 1\.5\)$/);
    expect(problemsOf({ server: { trustProxy: { a: 1 } } })[0]).toMatch(/^server\.trustProxy: must be false, a hop count/);
    expect(problemsOf({ server: { trustProxy: [] } })).toEqual(['server.trustProxy: must list at least one proxy address (or be false)']);
    const bad = ['10.0.0.0/33', 'proxy.internal', '::1/129', '10.0.0.1/', '10.0.0.1/8/8', 'fe80::1%eth0', '010.0.0.1', '10.0.0.0/255.0.0.0', 7, ''];
    for (const entry of bad) {
      expect(problemsOf({ server: { trustProxy: ['127.0.0.1', entry] } })).toEqual([
        `server.trustProxy: item 1: must be an IP address or CIDR such as 10.0.0.0/8 or fd00::/8 (got ${JSON.stringify(entry)})`,
      ]);
    }
  });

  it('reads every form from the environment, naming the variable behind a bad value', () => {
    const fromEnv = (env: Record<string, string>) => parseConfig({}, env).server;
    expect(fromEnv({ GATEHOUSE_SERVER__TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(fromEnv({ GATEHOUSE_SERVER__TRUST_PROXY: '[10.0.0.0/8, 127.0.0.1]' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(fromEnv({ GATEHOUSE_SERVER__TRUST_PROXY: '10.0.0.5' }).trustProxy).toEqual(['10.0.0.5']);
    expect(fromEnv({ GATEHOUSE_SERVER__TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(fromEnv({ GATEHOUSE_SERVER__TRUST_PROXY: 'true', GATEHOUSE_SERVER__TRUST_EVERY_PROXY: 'true' }).trustProxy).toBe(true);
    expect(problemsOf({}, { GATEHOUSE_SERVER__TRUST_PROXY: 'true' })[0]).toMatch(/^server\.trustProxy: true trusts every hop.*\(from GATEHOUSE_SERVER__TRUST_PROXY\)$/);
    expect(problemsOf({}, { GATEHOUSE_SERVER__TRUST_PROXY: '[10.0.0.0/8, 10.0.0.300]' })).toEqual([
      'server.trustProxy: item 1: must be an IP address or CIDR such as 10.0.0.0/8 or fd00::/8 (got "10.0.0.300") (from GATEHOUSE_SERVER__TRUST_PROXY)',
    ]);
  });

  it('maps a hop count onto Fastify as "trust the n nearest hops" (Fastify 5 ignores a bare number)', () => {
    const twoHops = fastifyTrustProxy(2) as (address: string, hop: number) => boolean;
    expect([twoHops('203.0.113.1', 0), twoHops('203.0.113.1', 1), twoHops('203.0.113.1', 2)]).toEqual([true, true, false]);
    expect(fastifyTrustProxy(0)).toBe(false);
    expect(fastifyTrustProxy(['10.0.0.0/8'])).toEqual(['10.0.0.0/8']);
  });

  it('gatehouse config check shows the setting, and refuses true alone', () => {
    const cli = (env: Record<string, string>) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'config', 'check'], {
      env: { PATH: process.env.PATH!, HOME: process.env.HOME!, ...env }, encoding: 'utf8', timeout: 60_000,
    });
    const shown = cli({ GATEHOUSE_SERVER__TRUST_PROXY: '[10.0.0.0/8, "::1"]' });
    expect(shown.status).toBe(0);
    expect(shown.stdout).toMatch(/trustProxy:\s*\n\s*- 10\.0\.0\.0\/8\n\s*- ::1\n\s*trustEveryProxy: false/);
    const refused = cli({ GATEHOUSE_SERVER__TRUST_PROXY: 'true' });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^ {2}server\.trustProxy: true trusts every hop/m);
  }, 60_000);
});

interface Reply {
  status: number;
  body: any;
}

/**
 * One HTTP request sent from a chosen loopback address; why: 127.0.0.2 and 127.0.0.3 play two client machines
 * (fetch cannot choose its source address), distinct from 127.0.0.1 where nginx and Gatehouse run.
 */
function sendFrom(client: string, base: string, method: string, path: string, options: { json?: unknown; headers?: Record<string, string> } = {}): Promise<Reply> {
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  const headers = { ...options.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(new URL(path, base), { method, headers, localAddress: client, agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body: text === '' ? undefined : JSON.parse(text) }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const limits = { enabled: true, window: '1m', login: 20, register: 20, forgotPassword: 2, emailAvailable: 3 };

/** Checks e-mail availability `times` times from `client`, each time forging a different X-Forwarded-For. */
async function checkEmails(client: string, base: string, times: number, forged = true): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < times; i++) {
    const headers: Record<string, string> = forged ? { 'x-forwarded-for': `6.6.6.${i + 1}` } : {};
    statuses.push((await sendFrom(client, base, 'GET', '/auth/email-available?email=a@example.com', { headers })).status);
  }
  return statuses;
}

/** Registers and logs in from `client` with a forged X-Forwarded-For; returns the session's recorded address. */
async function recordedAddress(client: string, base: string, email: string): Promise<string> {
  const forged = { 'x-forwarded-for': '6.6.6.6' };
  expect((await sendFrom(client, base, 'POST', '/api/auth/register', { json: { email, password: goodPassword }, headers: forged })).status).toBe(201);
  const login = await sendFrom(client, base, 'POST', '/api/auth/login', { json: { email, password: goodPassword }, headers: forged });
  expect(login.status).toBe(200);
  const sessions = await sendFrom(client, base, 'GET', '/auth/tokens', { headers: { ...forged, authorization: `Bearer ${login.body.accessToken}` } });
  const addresses = Object.values(sessions.body as Record<string, { inetAddress: string }>).map((session) => session.inetAddress);
  expect(addresses).toHaveLength(1);
  return addresses[0]!;
}

const recommended: Array<[string, Record<string, unknown>]> = [
  ['trustProxy: 1', { trustProxy: 1 }],
  ["trustProxy: [nginx's address]", { trustProxy: ['127.0.0.1'] }],
  // The shipped file alone defeats the forgery: it replaces X-Forwarded-For instead of appending to it.
  ['trustProxy: true with trustEveryProxy', { trustProxy: true, trustEveryProxy: true }],
];

describe.each(recommended)('behind the shipped deploy/nginx.conf with %s', (_name, serverConfig) => {
  let server: TestServer;
  let nginx: NginxGateway;
  beforeAll(async () => {
    server = await startServer('sqlite', { config: { server: serverConfig, rateLimit: limits, signup: { alwaysConfirm: true } } });
    nginx = await startShippedNginx(server.url);
  });
  afterAll(async () => {
    await nginx?.stop();
    await server?.close();
  });

  it('counts a client that forges X-Forwarded-For as its real address, apart from other clients', async () => {
    expect(await checkEmails('127.0.0.2', nginx.url, 4)).toEqual([200, 200, 200, 429]);
    // Not nginx's address either: another client behind the same nginx has its own budget.
    expect(await checkEmails('127.0.0.3', nginx.url, 1)).toEqual([200]);
  });

  it("records the real client address on the session, not the forged one nor nginx's", async () => {
    expect(await recordedAddress('127.0.0.2', nginx.url, 'proxied@example.com')).toBe('127.0.0.2');
  });
});

describe('with a list of proxy addresses, a peer that is not on it', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer('sqlite', { config: { server: { trustProxy: ['127.0.0.1'] }, rateLimit: limits, signup: { alwaysConfirm: true } } });
  });
  afterAll(async () => server?.close());

  it('is counted and recorded as itself whatever X-Forwarded-For it sends', async () => {
    expect(await checkEmails('127.0.0.2', server.url, 4)).toEqual([200, 200, 200, 429]);
    expect(await recordedAddress('127.0.0.2', server.url, 'direct@example.com')).toBe('127.0.0.2');
  });
});
