import { spawn, spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { BACKGROUND_NICENESS } from '../src/util/thread-priority.js';
import { freePort } from './helpers/ports.js';
import { threadNiceness } from './helpers/threads.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI from source, as `npx gatehouse` would from dist/, with a clean environment. */
function cli(args: string[], env: Record<string, string> = {}, input?: string) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    env: { PATH: process.env.PATH!, HOME: process.env.HOME!, ...env },
    input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('gatehouse CLI', () => {
  it('config check prints the effective configuration with secrets masked', () => {
    const result = cli(['config', 'check'], {
      GATEHOUSE_TOKENS__ALGORITHM: 'HS512',
      GATEHOUSE_TOKENS__HMAC_SECRET: 'a-very-long-secret-value-of-at-least-35-chars',
      DATABASE_URL: 'postgres://gate:hunter2@127.0.0.1:5432/gate',
      GATEHOUSE_LOCKOUT__MAX_ATTEMPTS: '3',
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/maxAttempts: 3/);
    expect(result.stdout).toMatch(/algorithm: HS512/);
    expect(result.stdout).not.toContain('a-very-long-secret');
    expect(result.stdout).not.toContain('hunter2');
    expect(result.stdout).toContain('postgres://gate:');
  });

  it('stops on invalid configuration with one line per bad key', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'lockout:\n  duration: soon\ncookie:\n  sameSite: sometimes\n');
    const result = cli(['config', 'check', '--config', file], { GATEHOUSE_LOCKOUT__MAX_ATTEMPTS: 'abc', GATEHOUSE_NO_SUCH_KEY: '1' });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n').slice(1).map((l) => l.trim());
    expect(lines).toHaveLength(4);
    expect(lines.some((l) => l.startsWith('lockout.duration:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('lockout.maxAttempts:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('cookie.sameSite:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('GATEHOUSE_NO_SUCH_KEY'))).toBe(true);
  });

  it('migrate applies migrations once', () => {
    const url = `sqlite:${join(dir, 'migrate.db')}`;
    expect(cli(['migrate'], { DATABASE_URL: url }).stdout).toContain('applied: 2026_11_22_0001_initial');
    expect(cli(['migrate'], { DATABASE_URL: url }).stdout).toContain('up to date');
  });

  it('admin create makes a sysadmin with a password that passes the policy', async () => {
    const url = `sqlite:${join(dir, 'admin.db')}`;
    const weak = cli(['admin', 'create', '--username', 'root2', '--email', 'root2@example.com'], { DATABASE_URL: url }, 'weak\n');
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain('password: must be at least 10 characters');
    const made = cli(['admin', 'create', '--username', 'root2', '--email', 'root2@example.com'], { DATABASE_URL: url }, 'Strong-Admin-Pass-1\n');
    expect(made.stderr).toBe('');
    expect(made.stdout).toMatch(/created sysadmin root2/);
    const database = openDatabase(url);
    try {
      const roles = await database.db
        .selectFrom('memberships').innerJoin('accounts', 'accounts.id', 'memberships.account_id')
        .select('memberships.group_id').where('accounts.username', '=', 'root2').execute();
      expect(roles.map((r) => r.group_id)).toEqual(['sysadmin']);
    } finally {
      await database.close();
    }
    expect(cli(['admin', 'create', '--username', 'root2', '--email', 'x@example.com'], { DATABASE_URL: url }, 'Strong-Admin-Pass-1\n').code).toBe(1);
  });

  it('serve answers on PORT and stops cleanly on SIGTERM', async () => {
    // A port the kernel just had free: a random one in 20000–40000 overlaps the ephemeral range (32768+), where a
    // client connection of another suite may hold it, and the server then fails to start.
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
      env: { PATH: process.env.PATH!, HOME: process.env.HOME!, PORT: String(port), DATABASE_URL: `sqlite:${join(dir, 'serve.db')}`, GATEHOUSE_EMAIL__OUTBOX_DIR: join(dir, 'outbox') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // What the server said, shown should it never answer (a failed start is otherwise only a timeout).
    let output = '';
    child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    try {
      let health: Response | undefined;
      for (let i = 0; i < 100 && !health; i++) {
        health = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
        if (!health) await new Promise((r) => setTimeout(r, 100));
      }
      expect(health?.status, output.slice(-2000)).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      if (process.platform === 'linux') {
        // Hashing, signing and GC threads run below the event loop (src/util/thread-priority.ts) once it listens.
        await expect.poll(() => {
          const { main, others } = threadNiceness(child.pid!);
          const niceness = Object.values(others);
          return niceness.length > 0 && niceness.every((value) => value === Math.min(19, main + BACKGROUND_NICENESS));
        }).toBe(true);
      }
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('finishes in-flight requests on SIGTERM before it exits', async () => {
    // A port the kernel just had free: a random one in 20000–40000 overlaps the ephemeral range (32768+), where a
    // client connection of another suite may hold it, and the server then fails to start.
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
      env: {
        PATH: process.env.PATH!, HOME: process.env.HOME!, PORT: String(port), DATABASE_URL: `sqlite:${join(dir, 'graceful.db')}`,
        GATEHOUSE_EMAIL__OUTBOX_DIR: join(dir, 'outbox'), GATEHOUSE_SIGNUP__ALWAYS_CONFIRM: 'true', GATEHOUSE_RATE_LIMIT__ENABLED: 'false',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const base = `http://127.0.0.1:${port}`;
    try {
      for (let i = 0; i < 100 && !(await fetch(`${base}/healthz`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
      // A fresh connection per request: what is tested is the server finishing what it accepted. (A client reusing an
      // idle keep-alive connection at the very moment the server closes it sees a reset: drain nodes before SIGTERM.)
      const post = (path: string, body: unknown) => new Promise<number | string>((resolve) => {
        const data = JSON.stringify(body);
        const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
        req.end(data);
      });
      expect(await post('/api/auth/register', { email: 'graceful@example.com', password: 'Graceful-Pass-1' })).toBe(201);
      // Production argon2 parameters: sixteen logins queue behind two hashing slots, so most are in flight at SIGTERM.
      const logins = Array.from({ length: 16 }, () => post('/api/auth/login', { email: 'graceful@example.com', password: 'Graceful-Pass-1' }));
      await new Promise((resolve) => setTimeout(resolve, 30));
      child.kill('SIGTERM');
      // Draining: no longer ready for new traffic, still serving.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await post('/api/auth/guest', {})).toBe(200);
      expect((await fetch(`${base}/readyz`, { headers: { connection: 'close' } })).status).toBe(503);
      expect(await Promise.all(logins)).toEqual(Array(16).fill(200));
    } finally {
      // One SIGTERM only: a second would meet Node's default handler and kill the process by signal.
      if (child.signalCode === null && child.exitCode === null && !child.killed) child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('stops on a Node.js older than 22 with one line saying what to install (CONTRACT §1)', () => {
    // The running Node is 22 or newer (CI brings 24); a preload makes it report 20, as the machines' own Node is.
    const pretend20 = `data:text/javascript,Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '20.19.0' } })`;
    const result = spawnSync(process.execPath, ['--import', pretend20, '--import', 'tsx', 'src/cli.ts', 'serve'], {
      env: { PATH: process.env.PATH!, HOME: process.env.HOME!, PORT: '0', DATABASE_URL: `sqlite:${join(dir, 'old-node.db')}` },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/Node\.js 20\.19\.0 is too old; install Node\.js 24 LTS/);
    // The same command on the real version runs: the stop came from the version alone.
    const help = cli(['help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: gatehouse <command>');
  });

  it('rejects an unknown command', () => {
    const result = cli(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command');
  });
});
