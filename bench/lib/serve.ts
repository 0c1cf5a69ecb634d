import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';

const DIST = new URL('../../dist/', import.meta.url);

/** Loads a compiled module; why: the measured process runs tsc's output, not tsx-transformed sources. */
export async function fromDist<T>(file: string): Promise<T> {
  const url = new URL(file, DIST);
  if (!existsSync(url)) throw new Error(`${url.pathname} is missing: run \`npm run build\` first (\`npm run bench\` does)`);
  // A computed specifier keeps tsc from resolving dist/, which has no typings; the cast restores them from src.
  return (await import(url.href)) as T;
}

/** Command-line options shared by the bench servers. */
export interface ServeArgs {
  port: number;
  dataDir: string | undefined;
  /** A PostgreSQL URL to run on instead of the temp SQLite file. */
  databaseUrl: string | undefined;
  exitWithParent: boolean;
}

/** Reads `--port` (or `PORT`; default 0 = any free port), `--data-dir`, `--database-url` and `--exit-with-parent`. */
export function readServeArgs(): ServeArgs {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, 'data-dir': { type: 'string' }, 'database-url': { type: 'string' }, 'exit-with-parent': { type: 'boolean' } },
  });
  const port = Number(values.port ?? process.env.PORT ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad --port ${values.port}`);
  return { port, dataDir: values['data-dir'], databaseUrl: values['database-url'], exitWithParent: values['exit-with-parent'] ?? false };
}

/** Longest a server may take to close before it exits anyway. */
const CLOSE_GRACE_MS = 5_000;

/**
 * Listens on loopback, runs `onListening`, prints `READY <port>` and closes the app on SIGINT/SIGTERM or when the
 * parent's pipe closes. Why: the harness waits for that line before loading the server, and must never leave one
 * running.
 */
export async function serveUntilStopped(app: FastifyInstance, args: ServeArgs, onListening?: () => Promise<unknown>): Promise<void> {
  await app.listen({ host: '127.0.0.1', port: args.port });
  await onListening?.();
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), CLOSE_GRACE_MS).unref();
    app.close().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (args.exitWithParent) process.stdin.once('end', stop).resume();
  process.stdout.write(`READY ${(app.server.address() as AddressInfo).port}\n`);
}

/**
 * Options of a raw baseline child: `--concurrency`, `--duration`, `--warmup` (seconds), `--turns` (measure on
 * request, bench/lib/raw-loop.ts `serveTurns`), `--alg` (the signing children's algorithm); starts the pipe watch.
 */
export function readRawArgs(): { concurrency: number; seconds: number; warmupSeconds: number; turns: boolean; alg: string | undefined } {
  const { values } = parseArgs({
    options: {
      concurrency: { type: 'string' }, duration: { type: 'string' }, warmup: { type: 'string' }, turns: { type: 'boolean' }, alg: { type: 'string' },
      'exit-with-parent': { type: 'boolean' },
    },
  });
  if (values['exit-with-parent']) exitWithParent();
  return {
    concurrency: Number(values.concurrency ?? 1), seconds: Number(values.duration ?? 10), warmupSeconds: Number(values.warmup ?? 2), turns: values.turns ?? false,
    alg: values.alg,
  };
}

/** Same as the harness's pipe watch, for a child that is not a server. */
export function exitWithParent(): void {
  process.stdin.once('end', () => process.exit(1)).resume();
}
