import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { createTestDatabase, dialects, startServer, type TestDatabase } from './helpers/server.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-client-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs the CLI from source, as `npx gatehouse` would from dist/, with a clean environment. Asynchronous: a blocked
 * worker would miss vitest's own messages while a loaded machine starts Node (test/helpers/cli.ts).
 */
function cli(args: string[], env: Record<string, string>) {
  return runCli(args, env);
}

/** Each CLI run starts Node with tsx (1–2 s), so these tests get more than the default 30 s. */
const SLOW = 120_000;

/** The problem lines of a failed command (the first line names the command). */
const problems = (stderr: string) => stderr.trim().split('\n').slice(1).map((line) => line.trim());

/** Checks made before the database is opened: the same on every dialect, so run once. */
describe('gatehouse client add: argument checks', async () => {
  const env = { DATABASE_URL: `sqlite:${join(dir, 'checks.db')}` };
  it('refuses a bad --name with the rule of clients[].name', async () => {
    const answer = await cli(['client', 'add', '--id', 'bad-name', '--callback', 'https://cli.example/cb', '--name', 'x'.repeat(101)], env);
    expect(answer.code).toBe(1);
    expect(problems(answer.stderr)).toEqual([expect.stringMatching(/^--name: must be 1 to 100 characters/)]);
  }, SLOW);

  it('names each bad flag on its own line and exits 1', async () => {
    for (const callback of ['https://cli.example/cb#frag', 'https://user:pw@cli.example/cb']) {
      const answer = await cli(['client', 'add', '--id', 'bad-url', '--callback', callback], env);
      expect(answer.code, callback).toBe(1);
      expect(problems(answer.stderr)).toHaveLength(1);
      expect(problems(answer.stderr)[0]).toMatch(/^--callback: /);
    }
    expect(problems((await cli(['client', 'add'], env)).stderr)).toEqual(['--id: is required', '--callback: is required']);
    expect(problems((await cli(['client', 'add', '--id', 'x', '--callback', 'https://x.example/', '--token-method', ''], env)).stderr)).toEqual([
      '--token-method: must name at least one of query, cookie, body',
    ]);
    const unknownFlag = await cli(['client', 'add', '--id', 'x', '--callback', 'https://x.example/', '--secret', 'y'], env);
    expect(unknownFlag.code).toBe(1);
    expect(unknownFlag.stderr).toContain("Unknown option '--secret'");
  }, SLOW);
});

describe.each(dialects)('gatehouse client add|list|remove on %s', (dialect) => {
  let database: TestDatabase;
  let env: Record<string, string>;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    env = { DATABASE_URL: database.url };
  });
  afterAll(async () => database?.drop());

  it('adds, lists and removes clients', async () => {
    const added = await cli(['client', 'add', '--id', 'cli-app', '--callback', 'https://cli.example/cb', '--token-method', 'query,cookie,query', '--disable', 'password,oidc:corp'], env);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('added client cli-app');
    expect((await cli(['client', 'add', '--id', 'plain-app', '--callback', 'https://plain.example/cb'], env)).code).toBe(0);

    const listed = await cli(['client', 'list'], env);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^CLIENT ID\s+NAME\s+CALLBACK URL\s+TOKEN METHOD\s+DISABLED\s+OIDC\s+SOURCE$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/))).toEqual([
      ['cli-app', '-', 'https://cli.example/cb', 'query,cookie', 'password,oidc:corp', '-', 'database'],
      ['plain-app', '-', 'https://plain.example/cb', 'query', '-', '-', 'database'],
    ]);

    const removed = await cli(['client', 'remove', '--id', 'plain-app'], env);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('removed client plain-app');
    const again = await cli(['client', 'remove', '--id', 'plain-app'], env);
    expect(again.code).toBe(1);
    expect(problems(again.stderr)).toEqual(['--id: no client "plain-app"']);
    expect((await cli(['client', 'list'], env)).stdout).not.toContain('plain-app');
  }, SLOW);

  it('reports every validation error on its own line, exits 1 and stores nothing', async () => {
    const before = (await cli(['client', 'list'], env)).stdout;
    const bad = await cli(['client', 'add', '--id', 'bad id', '--callback', 'javascript:alert(1)', '--token-method', 'query,sms', '--disable', 'password,ldap'], env);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(problems(bad.stderr)).toEqual([
      '--id: must be 1 to 128 letters, digits, ".", "_" or "-" (and not "." or "..")',
      '--callback: must be an absolute http:// or https:// URL',
      '--token-method: unknown method "sms"; use query, cookie, body',
      '--disable: unknown strategy "ldap"; use password, google, facebook, oidc, saml, cas or oidc:<id>',
    ]);
    const duplicate = await cli(['client', 'add', '--id', 'cli-app', '--callback', 'https://elsewhere.example/cb'], env);
    expect(duplicate.code).toBe(1);
    expect(problems(duplicate.stderr)).toEqual(['--id: a client "cli-app" already exists']);
    expect((await cli(['client', 'remove'], env)).code).toBe(1);
    expect((await cli(['client', 'list'], env)).stdout).toBe(before);
  }, SLOW);

  it('adds clients a running server uses at once, and shows configured ones as such', async () => {
    const server = await startServer(dialect, { database, env: { GATEHOUSE_ADMIN_PASSWORD: 'bootstrap-pw' } });
    try {
      expect((await server.request('GET', '/auth/login?clientID=cli-app')).status).toBe(200);
      expect((await cli(['client', 'add', '--id', 'live-app', '--callback', 'https://live.example/cb', '--name', 'Live App'], env)).code).toBe(0);
      expect((await server.request('GET', '/auth/login?clientID=live-app')).text).toContain('<h1>Sign in to Live App</h1>');
      const admin = (await server.request('POST', '/api/auth/login', { json: { username: 'admin', password: 'bootstrap-pw' } })).body.accessToken;
      expect((await server.request('GET', '/clients/cli-app', { token: admin })).body.config).toEqual({ tokenMethod: ['query', 'cookie'], disableStrategies: ['password', 'oidc:corp'] });
      expect((await cli(['client', 'remove', '--id', 'live-app'], env)).code).toBe(0);
      expect((await server.request('GET', '/auth/login?clientID=live-app')).status).toBe(400);
    } finally {
      await server.stop();
    }

    const file = join(dir, `${dialect}.yaml`);
    writeFileSync(file, 'clients:\n  - clientID: from-config\n    callbackURL: https://config.example/cb\n    config:\n      tokenMethod: body\n');
    const listed = await cli(['client', 'list', '--config', file], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n').find((line) => line.startsWith('from-config'))!.split(/\s+/)).toEqual(['from-config', '-', 'https://config.example/cb', 'body', '-', '-', 'config']);
    const removed = await cli(['client', 'remove', '--id', 'from-config', '--config', file], env);
    expect(removed.code).toBe(0);
    expect(removed.stderr).toContain('the next start registers it again');
  }, SLOW);
});
