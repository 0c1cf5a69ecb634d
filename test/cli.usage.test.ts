import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { runCli } from './helpers/cli.js';
import { COMMAND_HELP, commandUsage, overview } from '../src/cli/usage.js';

/* Issue 16 item 7: every command has its own usage; a bare `gatehouse` prints usage instead of starting a server. */

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-usage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string> = {}) {
  return runCli(args, { DATABASE_URL: `sqlite:${join(dir, 'never.db')}`, ...env });
}

/** Runs the CLI's `main` in this process, capturing what it writes (no process start: fast on a loaded machine). */
async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => { stdout += String(chunk); return true; });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => { stderr += String(chunk); return true; });
  try {
    return { code: await main(argv), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('usage', () => {
  it('a bare `gatehouse` prints the overview and exits 0 without opening a database', async () => {
    const result = await cli([], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(overview());
    expect(result.stdout).toMatch(/^Usage: gatehouse <command>/);
    for (const help of COMMAND_HELP) expect(result.stdout).toContain(`  ${help.name}`);
  }, 120_000);

  it('`gatehouse <command> --help` prints that command\'s own usage', async () => {
    const own = await cli(['admin', 'set-password', '--help']);
    expect(own.code).toBe(0);
    expect(own.stdout).toBe(commandUsage(['admin', 'set-password']));
    expect(own.stdout).toMatch(/^Usage: gatehouse admin set-password \[--username NAME\] \[--config FILE\]\n/);
    expect(own.stdout).toContain('at least\n8 characters');
    expect(own.stdout).not.toContain('client add');
  }, 120_000);

  it('`help`, `--help` and `help <command>` agree; --help wins over missing flags and bad configuration', async () => {
    expect((await run(['--help'])).stdout).toBe(overview());
    expect((await run(['help'])).stdout).toBe(overview());
    expect(await run(['help', 'admin', 'set-password'])).toEqual({ code: 0, stdout: commandUsage(['admin', 'set-password']), stderr: '' });
    expect((await run(['serve', '-h'])).stdout).toMatch(/^Usage: gatehouse serve \[--config FILE\]\n[\s\S]*start-up summary/);
    expect((await run(['client', 'add', '--help', '--config', '/nonexistent.yaml'])).stdout).toMatch(/^Usage: gatehouse client add --id ID --callback URL/);
  });

  it('a group lists its commands; an unknown command or a group without one is exit 2 on stderr', async () => {
    const group = await run(['admin', '--help']);
    expect(group.code).toBe(0);
    expect(group.stdout).toContain('Usage: gatehouse admin create');
    expect(group.stdout).toContain('Usage: gatehouse admin set-password');
    const bare = await run(['admin']);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toMatch(/^gatehouse: "admin" needs a subcommand: create, set-password\n/);
    const unknown = await run(['help', 'frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^gatehouse: unknown command "frobnicate"/);
  });

  it('every command has a usage of its own, and every command the CLI runs is listed', async () => {
    const names = COMMAND_HELP.map((help) => help.name);
    expect(names).toEqual(expect.arrayContaining(['serve', 'migrate', 'config check', 'admin create', 'admin set-password', 'apikey create', 'keys rotate', 'client add', 'client list', 'client remove', 'help']));
    for (const help of COMMAND_HELP) {
      const usage = commandUsage(help.name.split(' '))!;
      expect(usage.startsWith(`Usage: gatehouse ${help.name}`)).toBe(true);
      expect(usage).toContain('--config FILE');
    }
    expect(commandUsage(['nope'])).toBeNull();
  });
});

describe('configuration errors through the CLI', () => {
  it('an unknown key names the nearest known one', async () => {
    const file = join(dir, 'typo.yaml');
    writeFileSync(file, 'server:\n  prot: 8080\n');
    const result = await cli(['config', 'check', '--config', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('gatehouse: invalid configuration\n  server.prot: unknown key — did you mean `server.port`?\n');
  }, 120_000);

  it('a YAML error gives line and column', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'server:\n  port: 8080\n  host: [127.0.0.1\n');
    const result = await run(['config', 'check', '--config', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^gatehouse: invalid configuration\\n {2}config file ${file}: not valid YAML or JSON at line \\d+, column \\d+ \\(`));
  });
});
