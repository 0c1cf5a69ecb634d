import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { pathToFileURL } from 'node:url';

/** bench/, which the scripts of {@link spawnBenchChild} are named relative to. */
const BENCH_DIR = new URL('../', import.meta.url);

const running = new Set<ChildProcess>();

/** Flag for bench children; why: they exit when the harness's pipe closes, even if the harness was killed outright. */
export const EXIT_WITH_PARENT = '--exit-with-parent';

/**
 * Starts `bench/<script>` (e.g. `children/server.ts`) in its own Node process under tsx.
 * Why: servers and the raw argon2 loop must not share the load generator's event loop or threadpool.
 */
export function spawnBenchChild(script: string, args: string[] = [], env: Record<string, string> = {}): ChildProcess {
  const path = new URL(script, BENCH_DIR).pathname;
  const child = spawn(process.execPath, ['--import', 'tsx', path, EXIT_WITH_PARENT, ...args], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** One line reader per child; why: a child asked for many results (bench/lib/raw-loop.ts `serveTurns`) would otherwise gather readers on its stdout. */
const lineReaders = new WeakMap<ChildProcess, Interface>();

function linesOf(child: ChildProcess): Interface {
  let lines = lineReaders.get(child);
  if (!lines) {
    lines = createInterface({ input: child.stdout! });
    lineReaders.set(child, lines);
  }
  return lines;
}

/** Resolves with the rest of the first stdout line that starts with `prefix`; why: children announce readiness and results this way. */
export function waitForLine(child: ChildProcess, prefix: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = linesOf(child);
    const done = (settle: () => void): void => {
      clearTimeout(timer);
      child.off('exit', onExit);
      lines.off('line', onLine);
      settle();
    };
    const onLine = (line: string): void => {
      if (line.startsWith(prefix)) done(() => resolve(line.slice(prefix.length).trim()));
      else process.stderr.write(`[child ${child.pid}] ${line}\n`);
    };
    const onExit = (code: number | null, signal: string | null): void =>
      done(() => reject(new Error(`child ${child.pid} exited (${signal ?? code}) before printing ${prefix.trim()}`)));
    const timer = setTimeout(() => done(() => reject(new Error(`no ${prefix.trim()} from child ${child.pid} within ${timeoutMs} ms`))), timeoutMs);
    lines.on('line', onLine);
    child.once('exit', onExit);
  });
}

/** A started bench server: its process and its base URL. */
export interface BenchServer {
  child: ChildProcess;
  base: string;
}

/** How long a bench server may take to print `READY` unless told otherwise. */
const READY_TIMEOUT_MS = 60_000;

/**
 * Starts a bench server script on a free port and waits for its `READY <port>`.
 * Why one place: every scenario starts its servers the same way (a shell's PORT must never pick a taken port).
 */
export async function startBenchServer(
  script: string,
  args: string[] = [],
  options: { env?: Record<string, string>; readyTimeoutMs?: number } = {},
): Promise<BenchServer> {
  // An explicit port 0 so a PORT variable in the shell can't pick one that is taken.
  const child = spawnBenchChild(script, ['--port', '0', ...args], options.env);
  const port = await waitForLine(child, 'READY ', options.readyTimeoutMs ?? READY_TIMEOUT_MS);
  return { child, base: `http://127.0.0.1:${port}` };
}

/** Stops a child politely (SIGTERM), then forcibly after `graceMs`; why: a server closes its database before it goes. */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Stops leftover children on exit, Ctrl-C or SIGTERM.
 * Why: an interrupted bench must not leave servers holding ports; each child then deletes its own temp dir.
 */
export function installCleanup(): void {
  process.once('exit', cleanUpNow);
  for (const [signal, number] of [['SIGINT', 2], ['SIGTERM', 15]] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, cleaning up\n`);
      process.exit(128 + number);
    });
  }
}

// Runs inside the 'exit' event, so it only signals; SIGTERM (not SIGKILL) lets a server close and remove its temp dir.
function cleanUpNow(): void {
  for (const child of running) child.kill('SIGTERM');
}

/** Whether the module at `moduleUrl` is the script Node was started with; why: entries that are also imported run only then. */
export function isEntry(moduleUrl: string): boolean {
  return moduleUrl === pathToFileURL(process.argv[1] ?? '').href;
}

/**
 * Runs an entry's `main` and exits with its code, or prints `<name> failed: <stack>` and exits 1.
 * Why: the pipe watch and leftover children would otherwise keep a finished bench alive.
 */
export function runMain(name: string, main: () => Promise<number | void>): void {
  main().then(
    (code) => process.exit(code ?? 0),
    (error: unknown) => {
      process.stderr.write(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
