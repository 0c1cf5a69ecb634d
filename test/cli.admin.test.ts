import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { runCli } from './helpers/cli.js';
import { freePort } from './helpers/ports.js';

/*
 * Issue 16 item 1, in README order: the first start makes `admin` without a password; a later
 * GATEHOUSE_ADMIN_PASSWORD is ignored — now with a warning that says what to run; `admin set-password` sets it.
 */

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-admin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const url = `sqlite:${join(dir, 'gatehouse.db')}`;
const baseEnv = { PATH: process.env.PATH!, HOME: process.env.HOME!, DATABASE_URL: url, GATEHOUSE_EMAIL__OUTBOX_DIR: join(dir, 'outbox') };

function cli(args: string[], input: string, env: Record<string, string> = {}) {
  return runCli(args, { ...baseEnv, ...env }, input);
}

interface LogLine { level: number; msg: string; startup?: Record<string, any> }

/** Starts `serve`, runs `use` against it, stops it with SIGTERM; returns its log lines. */
async function withServer(env: Record<string, string>, use: (base: string) => Promise<void>): Promise<LogLine[]> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], { env: { ...baseEnv, PORT: String(port), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${port}`;
  try {
    let up = false;
    // Up to a minute: a loaded two-core machine takes long to start a process from source.
    for (let i = 0; i < 600 && !up; i++) {
      up = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    expect(up, output.slice(-2000)).toBe(true);
    await use(base);
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  return output.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as LogLine);
}

async function login(base: string, password: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
  return { status: response.status, body: await response.json() };
}

const startupOf = (lines: LogLine[]) => lines.filter((line) => line.startup);
const WARNING = /GATEHOUSE_ADMIN_PASSWORD is ignored: the account "admin" already exists.*`gatehouse admin set-password`/;

describe('the admin walk-through (issue 16 item 1)', () => {
  it('warns once when GATEHOUSE_ADMIN_PASSWORD comes after the first start, and set-password fixes it', async () => {
    const first = await withServer({}, async () => undefined);
    expect(startupOf(first)).toHaveLength(1);
    expect(startupOf(first)[0]!.startup!.admin).toEqual({ username: 'admin', state: 'no-password', stored: 'no-password' });
    expect(startupOf(first)[0]!.msg).toMatch(/admin "admin" has no password and cannot log in \(`gatehouse admin set-password` sets one\)/);
    expect(first.some((line) => WARNING.test(line.msg))).toBe(false);

    const second = await withServer({ GATEHOUSE_ADMIN_PASSWORD: 'change-me-now' }, async (base) => {
      expect((await login(base, 'change-me-now')).status).toBe(401);
    });
    const warnings = second.filter((line) => WARNING.test(line.msg));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.level).toBe(40);
    expect(warnings[0]!.msg).toContain('still has no password');
    expect(startupOf(second)[0]!.startup!.admin).toEqual({ username: 'admin', state: 'override-ignored', stored: 'no-password' });

    const short = await cli(['admin', 'set-password'], 'short12\n');
    expect(short.code).toBe(1);
    expect(short.stderr).toBe('gatehouse: admin set-password: password must be at least 8 characters (got 7)\n');
    // The bootstrap's rule, not the policy: 8 characters without an upper-case letter or a digit are enough.
    const set = await cli(['admin', 'set-password'], 'change-me-now\n');
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/^password set for admin \([0-9a-f-]{36}\); 0 sessions ended\n$/);

    let sessionId = '';
    const third = await withServer({}, async (base) => {
      const ok = await login(base, 'change-me-now');
      expect(ok.status).toBe(200);
      sessionId = JSON.parse(Buffer.from(ok.body.accessToken.split('.')[1], 'base64url').toString()).sid;
    });
    expect(startupOf(third)[0]!.startup!.admin.state).toBe('password');
    expect(startupOf(third)[0]!.msg).toContain('admin "admin" has a password');

    // A second change ends the session the login above started, and is audited as done from the command line.
    const again = await cli(['admin', 'set-password', '--username', 'admin'], 'another-pass\n');
    expect(again.stdout).toMatch(/; 1 session ended\n$/);
    const database = openDatabase(url);
    try {
      const session = await database.db.selectFrom('sessions').select('revoked_at').where('id', '=', sessionId).executeTakeFirstOrThrow();
      expect(session.revoked_at).not.toBeNull();
      const events = await database.db.selectFrom('audit_events').select(['type', 'data']).where('type', 'in', ['password.changed', 'session.revoked']).orderBy('id').execute();
      expect(events.map((event) => [event.type, JSON.parse(event.data ?? '{}').by])).toEqual([
        ['password.changed', 'cli'], ['password.changed', 'cli'], ['session.revoked', 'cli'],
      ]);
    } finally {
      await database.close();
    }
  }, 400_000);

  it('admin set-password refuses an empty stdin, an unknown account and an unknown flag, each in one line', async () => {
    const empty = await cli(['admin', 'set-password'], '');
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/^gatehouse: admin set-password: no password given: pipe it on stdin .* or run the command in a terminal to be asked for it\n$/);
    const unknown = await cli(['admin', 'set-password', '--username', 'nobody'], 'long-enough\n');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('gatehouse: admin set-password: no account "nobody" that logs in with a password\n');
    const typo = await cli(['admin', 'set-password', '--usernme', 'admin'], 'long-enough\n');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/^gatehouse: admin set-password: Unknown option '--usernme'.*--help/);
  }, 180_000);

  it('admin create with no password says so', async () => {
    const result = await cli(['admin', 'create', '--username', 'root9', '--email', 'root9@example.com'], '');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^gatehouse admin create:\n {2}password: no password given: pipe it on stdin/);
  }, 120_000);
});

describe('admin set-password on a terminal', () => {
  // util-linux `script` gives the command a pseudo-terminal, as an operator's shell would.
  const hasScript = spawnSync('script', ['--version']).status === 0;

  it.runIf(hasScript)('prompts twice without echo, and refuses two different entries', async () => {
    const command = `${process.execPath} --import tsx src/cli.ts admin set-password`;
    const run = (answers: string[]) => new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], { env: { ...baseEnv, TERM: 'dumb' }, stdio: ['pipe', 'pipe', 'pipe'] });
      let output = '';
      let answered = 0;
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        // Answer each prompt only once it is shown: by then the terminal no longer echoes.
        const prompts = (output.match(/New password: |Repeat the password: /g) ?? []).length;
        while (answered < prompts && answered < answers.length) child.stdin.write(`${answers[answered++]}\r`);
      });
      child.once('exit', (code) => resolve({ code, output }));
    });
    const same = await run(['typed-on-a-tty', 'typed-on-a-tty']);
    expect(same.output).toMatch(/New password: [\s\S]*Repeat the password: /);
    expect(same.output).not.toContain('typed-on-a-tty');
    expect(same.output).toMatch(/password set for admin/);
    expect(same.code).toBe(0);
    const differ = await run(['first-entry-x', 'second-entry-y']);
    expect(differ.output).toContain('gatehouse: the two passwords differ; nothing was changed');
    expect(differ.output).not.toContain('first-entry-x');
    expect(differ.code).toBe(1);
  }, 120_000);
});
