import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { startServer, type TestServer } from './helpers/server.js';

const REPO = resolve(import.meta.dirname, '..');
const README_URL = 'http://localhost:8080';

/** The wall clock, as a reader's server has: the walk-throughs tell sessions apart by their login times. */
class WallClock extends ManualClock {
  override now(): number {
    return Date.now();
  }
}

/** README's ```sh blocks in order, but those that install, build or start a server (the test starts one). */
function walkThroughBlocks(): string[] {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
  return blocks.filter((block) => !/\bnpm (start|install|test|ci)\b/.test(block));
}

/**
 * The shell the blocks run in: strict, and curl fails on any HTTP error — except with `-i`, where a block shows an
 * error answer on purpose. Each block announces itself, so a failure names its block.
 */
function script(blocks: string[], base: string): string {
  const prelude = 'set -euo pipefail\ncurl() { case " $* " in *" -i "*) command curl "$@" ;; *) command curl --fail-with-body "$@" ;; esac; }\n';
  return prelude + blocks.map((block, index) => `echo "=== block ${index + 1}" >&2\n${block.replaceAll(README_URL, base)}`).join('\n');
}

describe('README walk-throughs, run as a reader would (bash, curl, a fresh server and data dir)', () => {
  let server: TestServer;
  let workDir: string;
  beforeAll(async () => {
    // The reader's folder: scripts/ from the repository, data/ the server's own; anything else left behind is a stray file.
    workDir = mkdtempSync(join(tmpdir(), 'gatehouse-readme-'));
    symlinkSync(join(REPO, 'scripts'), join(workDir, 'scripts'));
    server = await startServer('sqlite', {
      // As `GATEHOUSE_ADMIN_PASSWORD=change-me-now npm start` on a first start, mail to the outbox, HTTP Basic on as
      // the Sessions section says to restart with, and the production rate limits.
      config: { email: { smtpUrl: null, outboxDir: join(workDir, 'data', 'outbox') }, httpBasic: { enabled: true }, rateLimit: { enabled: true } },
      env: { GATEHOUSE_ADMIN_PASSWORD: 'change-me-now' },
      clock: new WallClock(),
    });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('runs every shell block in order, each command succeeding, and leaves no file behind', async () => {
    const blocks = walkThroughBlocks();
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    const { code, stdout, stderr } = await runBash(script(blocks, server.url), workDir);
    const failure = `exit ${code}; stderr:\n${stderr.slice(-1500)}\nstdout:\n${stdout.slice(-1500)}`;
    expect(code, failure).toBe(0);
    expect(stderr.match(/=== block \d+/g)?.pop(), failure).toBe(`=== block ${blocks.length}`);
    // What the walk-throughs print and check along the way.
    expect(stdout).toContain('Your e-mail address is confirmed');
    expect(stdout).toMatch(/"username":"alice"/);
    expect(stdout).toMatch(/x-error-code: invalid-token/i);
    expect(stdout).toMatch(/x-error-code: token-revoked/i);
    expect(stdout).toContain('"user":"alice"');
    expect(stdout).toMatch(/"codes":\["[^"]+","[^"]+"\]/);
    // The multi-factor walk-through ended with an OAuthToken.
    expect(stdout).toContain('"userId"');
    expect(readdirSync(workDir).sort()).toEqual(['data', 'scripts']);
  });
});

function runBash(source: string, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    // The same Node as the test's, first on PATH, for the blocks' `node` one-liners.
    const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };
    execFile('bash', ['-c', source], { cwd, env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolvePromise({ code: error ? Number((error as NodeJS.ErrnoException).code ?? 1) : 0, stdout, stderr });
    });
  });
}
