import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientSecretMatches } from '../src/config/oidc-client-fields.js';
import { openDatabase } from '../src/db/database.js';
import { runCli } from './helpers/cli.js';
import { freePort } from './helpers/ports.js';
import { createTestDatabase, dialects, type TestDatabase } from './helpers/server.js';

/* `gatehouse client add` with OpenID options and `gatehouse client secret` (issue 18). */

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-oidc-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** Each run starts Node with tsx (1–2 s). */
const SLOW = 300_000;
const problems = (stderr: string) => stderr.trim().split('\n').slice(1).map((line) => line.trim());
const secretIn = (stdout: string) => /client secret[^:]*: ([A-Za-z0-9_-]{43})$/m.exec(stdout)?.[1];
const jwksFile = join(dir, 'jwks.json');
const privateFile = join(dir, 'private.json');
const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...pair.publicKey.export({ format: 'jwk' }), kid: 'cli-key' }] }));
writeFileSync(privateFile, JSON.stringify({ keys: [pair.privateKey.export({ format: 'jwk' })] }));

describe('gatehouse client add: OpenID argument checks', () => {
  const env = { DATABASE_URL: `sqlite:${join(dir, 'checks.db')}` };
  const add = (...args: string[]) => runCli(['client', 'add', '--id', 'x', '--callback', 'https://x.example/cb', ...args], env);

  it('names each bad OpenID option by its flag, one line each, and exits 1', async () => {
    const bad = await add('--redirect-uri', 'https://x.example/ok', '--redirect-uri', 'http://x.example/cb', '--grant-type', 'authorization_code,password',
      '--auth-method', 'none', '--scope', 'openid "quoted"', '--backchannel-logout-uri', 'https://x.example/bc#frag');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(problems(bad.stderr)).toEqual([
      '--redirect-uri "http://x.example/cb": must be an https:// URL (http:// only on a loopback host: localhost, 127.0.0.0/8, [::1])',
      '--grant-type: unknown grant type "password"; use authorization_code, refresh_token, client_credentials',
      expect.stringMatching(/^--scope "\\"quoted\\"": must be 1 to 256 printable characters/),
      '--backchannel-logout-uri: must not have a fragment (#…)',
    ]);
    expect(problems((await add('--grant-type', 'client_credentials', '--auth-method', 'none')).stderr)).toEqual([
      '--grant-type: client_credentials is not allowed with tokenEndpointAuthMethod none (a public client has no credentials to present)',
    ]);
    expect(problems((await add('--auth-method', 'private_key_jwt', '--grant-type', 'client_credentials', '--jwks', privateFile)).stderr)).toEqual([
      '--jwks: keys[0]: is a private key (it has "d"): register the public key only',
    ]);
    expect(problems((await add('--auth-method', 'private_key_jwt', '--grant-type', 'client_credentials', '--jwks', join(dir, 'missing.json'))).stderr)).toEqual([
      expect.stringMatching(/^--jwks: cannot read a JWK Set from .*missing\.json \(ENOENT/),
    ]);
    expect(problems((await add('--grant-type', 'authorization_code')).stderr)).toEqual(['--redirect-uri: must list at least one URI for the authorization_code grant']);
  }, SLOW);

  it('documents the OpenID options and the secret command', async () => {
    expect((await runCli(['client', 'add', '--help'], env)).stdout).toContain('--redirect-uri URI');
    const usage = await runCli(['client', 'secret', '--help'], env);
    expect(usage.stdout).toMatch(/^Usage: gatehouse client secret --id ID/);
    expect(problems((await runCli(['client', 'secret'], env)).stderr)).toEqual(['--id: is required']);
  }, SLOW);
});

describe.each(dialects)('gatehouse client add|secret for OpenID clients on %s', (dialect) => {
  let database: TestDatabase;
  let env: Record<string, string>;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    env = { DATABASE_URL: database.url };
  });
  afterAll(async () => database?.drop());
  const row = async (id: string) => {
    const opened = openDatabase(database.url);
    try {
      return await opened.db.selectFrom('clients').selectAll().where('client_id', '=', id).executeTakeFirst();
    } finally {
      await opened.close();
    }
  };

  it('adds an OpenID client, prints its secret once, and stores only the hash', async () => {
    const added = await runCli(['client', 'add', '--id', 'cli-web', '--callback', 'https://web.example/cb', '--name', 'CLI Web',
      '--redirect-uri', 'https://web.example/oidc', '--redirect-uri', 'http://127.0.0.1:9000/cb', '--post-logout-redirect-uri', 'https://web.example/bye',
      '--grant-type', 'authorization_code', '--grant-type', 'refresh_token', '--auth-method', 'client_secret_post', '--scope', 'openid profile,orders:read',
      '--first-party', '--backchannel-logout-uri', 'https://web.example/bc'], env);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    const secret = secretIn(added.stdout)!;
    expect(secret).toBeDefined();
    expect(added.stdout.split(secret)).toHaveLength(2);
    expect(added.stdout).toContain('OpenID client: grant types authorization_code,refresh_token; auth method client_secret_post; scopes openid profile orders:read; first party');
    const stored = await row('cli-web');
    expect(clientSecretMatches(stored!.secret_hash, secret)).toBe(true);
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(JSON.parse(stored!.oidc!)).toEqual({
      redirectUris: ['https://web.example/oidc', 'http://127.0.0.1:9000/cb'], postLogoutRedirectUris: ['https://web.example/bye'],
      grantTypes: ['authorization_code', 'refresh_token'], tokenEndpointAuthMethod: 'client_secret_post', scopes: ['openid', 'profile', 'orders:read'],
      firstParty: true, backchannelLogoutUri: 'https://web.example/bc', jwks: null, jwksUri: null,
    });

    const keyed = await runCli(['client', 'add', '--id', 'cli-keyed', '--callback', 'https://k.example/cb', '--grant-type', 'client_credentials', '--auth-method', 'private_key_jwt', '--jwks', jwksFile], env);
    expect(keyed.code).toBe(0);
    expect(secretIn(keyed.stdout)).toBeUndefined();
    expect(JSON.parse((await row('cli-keyed'))!.oidc!).jwks.keys[0].kid).toBe('cli-key');
    expect((await runCli(['client', 'add', '--id', 'cli-spa', '--callback', 'https://spa.example/cb', '--redirect-uri', 'http://localhost:5173/cb', '--auth-method', 'none'], env)).code).toBe(0);

    const listed = await runCli(['client', 'list'], env);
    const line = (id: string) => listed.stdout.split('\n').find((l) => l.startsWith(`${id} `))!;
    expect(line('cli-web')).toMatch(/^cli-web\s+CLI Web\s+https:\/\/web\.example\/cb\s+query\s+-\s+client_secret_post\s+database$/);
    expect(line('cli-keyed').split(/\s+/)).toEqual(['cli-keyed', '-', 'https://k.example/cb', 'query', '-', 'private_key_jwt', 'database']);
    expect(listed.stdout).not.toContain(secret);
  }, SLOW);

  it('rotates a secret: the new one printed once, the old one no longer matches', async () => {
    const old = (await row('cli-web'))!.secret_hash;
    const rotated = await runCli(['client', 'secret', '--id', 'cli-web'], env);
    expect(rotated.code).toBe(0);
    const secret = secretIn(rotated.stdout)!;
    expect(rotated.stdout).toContain('new client secret for cli-web (shown only now; the previous one no longer works)');
    const now = (await row('cli-web'))!.secret_hash;
    expect(now).not.toBe(old);
    expect(clientSecretMatches(now, secret)).toBe(true);

    for (const [id, why] of [['cli-spa', 'authenticates with none'], ['cli-keyed', 'authenticates with private_key_jwt'], ['nobody', 'no client']] as const) {
      const refused = await runCli(['client', 'secret', '--id', id], env);
      expect(refused.code, id).toBe(1);
      expect(problems(refused.stderr)[0]).toContain(why);
      expect(refused.stdout).toBe('');
    }
    expect((await row('cli-spa'))!.secret_hash).toBeNull();
  }, SLOW);

  it('warns that a secret given by the configuration comes back at the next start', async () => {
    const file = join(dir, `${dialect}.yaml`);
    writeFileSync(file, `clients:\n  - clientID: cfg\n    callbackURL: https://cfg.example/cb\n    redirectUris: [https://cfg.example/oidc]\n    clientSecret: ${'s'.repeat(40)}\n`);
    const rotated = await runCli(['client', 'secret', '--id', 'cfg', '--config', file], env);
    expect(rotated.code).toBe(0);
    expect(rotated.stderr).toContain('the configuration gives clients[0].clientSecret for "cfg", so the next start writes that secret back');
    expect(clientSecretMatches((await row('cfg'))!.secret_hash, secretIn(rotated.stdout)!)).toBe(true);
  }, SLOW);
});

describe('gatehouse serve and a configured secret client without a secret', () => {
  const env = { PATH: process.env.PATH!, HOME: process.env.HOME!, DATABASE_URL: `sqlite:${join(dir, 'serve.db')}`, GATEHOUSE_EMAIL__OUTBOX_DIR: join(dir, 'outbox') };
  const file = join(dir, 'serve.yaml');
  writeFileSync(file, 'clients:\n  - clientID: cfg-worker\n    callbackURL: https://w.example/cb\n    grantTypes: [client_credentials]\n');

  /** Starts `serve`, waits until it answers, stops it; its warnings. */
  async function serveWarnings(): Promise<string[]> {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--config', file], { env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      let up = false;
      for (let i = 0; i < 900 && !up; i++) {
        up = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
        if (!up) await new Promise((r) => setTimeout(r, 100));
      }
      expect(up, output.slice(-2000)).toBe(true);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    return output.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { level: number; msg: string })
      .filter((line) => line.level === 40).map((line) => line.msg);
  }

  it('warns at start until `client secret` gives the client one, which the next start keeps', async () => {
    expect(await serveWarnings()).toContain(
      'client "cfg-worker" authenticates with a client secret but has none: set clients[0].clientSecret (or GATEHOUSE_CLIENTS__0__CLIENT_SECRET), or run `gatehouse client secret --id cfg-worker`',
    );
    const rotated = await runCli(['client', 'secret', '--id', 'cfg-worker', '--config', file], env);
    expect(rotated.code).toBe(0);
    expect(rotated.stderr).toBe('');
    expect((await serveWarnings()).filter((warning) => warning.includes('cfg-worker'))).toEqual([]);
  }, SLOW);
});
