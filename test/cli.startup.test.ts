import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeStartup, startupSummary } from '../src/cli/startup.js';
import { parseConfig } from '../src/config/index.js';
import { runCli } from './helpers/cli.js';
import { freePort } from './helpers/ports.js';

/* Issue 16 item 6: the start-up says what it did; a database that cannot be reached is one line. */

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string>) {
  return runCli(args, env);
}

const noAdminChange = { before: 'password', after: 'password' } as const;

describe('the start-up summary', () => {
  it('names the database (password masked), the mail transport, the admin, the providers, the base URL and the bus', async () => {
    const config = parseConfig({
      database: { url: 'postgres://gate:hunter2@db.example:5432/gate' },
      redis: { url: 'redis://:secret@cache.example:6379' },
      email: { smtpUrl: 'smtp://mailer:mail-secret@mail.example.com:587' },
      server: { baseUrl: 'https://accounts.example.com' },
      providers: { google: { clientId: 'g', clientSecret: 'gs' }, oidc: [{ id: 'corp', name: 'Corp', issuer: 'https://idp.example', clientId: 'c', clientSecret: 'cs' }] },
    });
    const summary = startupSummary(config, 'postgres', ['2026_11_22_0001_initial'], noAdminChange);
    expect(summary).toEqual({
      database: { url: 'postgres://gate:******@db.example:5432/gate', dialect: 'postgres', migrationsApplied: ['2026_11_22_0001_initial'] },
      mail: { transport: 'smtp', host: 'mail.example.com:587' },
      admin: { username: 'admin', state: 'password', stored: 'password' },
      providers: ['password', 'google', 'oidc:corp'],
      baseUrl: 'https://accounts.example.com',
      clusterBus: 'redis',
    });
    const line = describeStartup(summary);
    expect(line).toBe('database postgres://gate:******@db.example:5432/gate (postgres, 1 migrations applied); mail via SMTP mail.example.com:587; '
      + 'admin "admin" has a password; sign-in: password, google, oidc:corp; base URL https://accounts.example.com; cluster bus: Redis');
    expect(JSON.stringify(summary) + line).not.toMatch(/hunter2|mail-secret|mailer|:secret@/);
  });

  it('without SMTP names the outbox; PostgreSQL without Redis broadcasts by NOTIFY; SQLite has no bus', async () => {
    const config = parseConfig({ email: { outboxDir: '/var/lib/gatehouse/outbox' } });
    const sqlite = startupSummary(config, 'sqlite', [], { before: 'missing', after: 'no-password' });
    expect(sqlite.mail).toEqual({ transport: 'outbox', dir: '/var/lib/gatehouse/outbox' });
    expect(sqlite.clusterBus).toBe('none');
    expect(sqlite.admin.state).toBe('no-password');
    expect(describeStartup(sqlite)).toMatch(/\(sqlite, schema up to date\); mail to the outbox \/var\/lib\/gatehouse\/outbox \(no SMTP configured\); admin "admin" has no password and cannot log in/);
    expect(startupSummary(config, 'postgres', [], noAdminChange).clusterBus).toBe('postgres-notify');
  });

  it('says whether the admin password override is active or GATEHOUSE_ADMIN_PASSWORD was ignored', async () => {
    const override = parseConfig({ admin: { passwordOverride: 'emergency-pass' } });
    expect(startupSummary(override, 'sqlite', [], noAdminChange).admin.state).toBe('override-active');
    const late = parseConfig({}, { GATEHOUSE_ADMIN_PASSWORD: 'change-me-now' });
    expect(startupSummary(late, 'sqlite', [], { before: 'no-password', after: 'no-password' }).admin.state).toBe('override-ignored');
    // On the very first start the variable is used, not ignored.
    expect(startupSummary(late, 'sqlite', [], { before: 'missing', after: 'password' }).admin.state).toBe('password');
    const off = parseConfig({ password: { login: 'off' } });
    expect(startupSummary(off, 'sqlite', [], noAdminChange).providers).not.toContain('password');
  });
});

describe('a database that cannot be used', () => {
  it('stops `serve` with exit code 1 and one line naming the database and the cause', async () => {
    const closed = await freePort();
    const result = await cli(['serve'], { PORT: '0', DATABASE_URL: `postgres://gate:hunter2@127.0.0.1:${closed}/gate` });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`gatehouse: cannot use the database postgres://gate:******@127.0.0.1:${closed}/gate: connect ECONNREFUSED 127.0.0.1:${closed}\n`);
  }, 120_000);

  it('names a missing PostgreSQL database the same way (`migrate`)', async () => {
    const missing = await cli(['migrate'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/gatehouse_no_such_database' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('gatehouse: cannot use the database postgres://postgres@127.0.0.1:5432/gatehouse_no_such_database: database "gatehouse_no_such_database" does not exist\n');
  }, 120_000);

  it('ends a command that opens the database itself (`apikey create`) with the same one line', async () => {
    const closed = await freePort();
    const result = await cli(['apikey', 'create'], { DATABASE_URL: `postgres://gate:hunter2@127.0.0.1:${closed}/gate` });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`gatehouse: cannot use the database postgres://gate:******@127.0.0.1:${closed}/gate: connect ECONNREFUSED 127.0.0.1:${closed}\n`);
  }, 120_000);

  it('names a SQLite path that cannot be created the same way', async () => {
    // A folder cannot be made under a plain file.
    const file = join(dir, 'plain-file');
    writeFileSync(file, '');
    const sqlite = await cli(['serve'], { PORT: '0', DATABASE_URL: `sqlite:${join(file, 'gatehouse.db')}` });
    expect(sqlite.code).toBe(1);
    expect(sqlite.stderr.split('\n')).toHaveLength(2);
    expect(sqlite.stderr).toMatch(new RegExp(`^gatehouse: cannot use the database sqlite:${file}/gatehouse.db: E(EXIST|NOTDIR)`));
  }, 120_000);
});
