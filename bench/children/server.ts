/**
 * Gatehouse as the benchmark runs it: production argon2 parameters, a temp SQLite database, no logger.
 * Run: `node --import tsx bench/children/server.ts [--port N] [--data-dir DIR] [--database-url postgres://…]` after
 * `npm run build`; prints `READY <port>`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchOidcClients } from '../lib/oidc-clients.js';
import { HASH_CONCURRENCY, PRODUCTION_HASH } from '../lib/params.js';
import { fromDist, readServeArgs, serveUntilStopped } from '../lib/serve.js';

type AppModule = typeof import('../../src/app.js');
type ConfigModule = typeof import('../../src/config/index.js');
type ThreadPriorityModule = typeof import('../../src/util/thread-priority.js');

/** The configuration input; every value not set here is the production default. */
function benchInput(port: number, dataDir: string, databaseUrl: string | undefined): Record<string, unknown> {
  return {
    server: { host: '127.0.0.1', port, baseUrl: `http://127.0.0.1:${port}` },
    database: { url: databaseUrl ?? `sqlite:${join(dataDir, 'bench.db')}` },
    email: { outboxDir: join(dataDir, 'outbox') },
    signup: { alwaysConfirm: true },
    password: { hash: { ...PRODUCTION_HASH, concurrency: HASH_CONCURRENCY } },
    // Every request comes from one IP: limits this high keep the limiter in the measured path without ever tripping it.
    rateLimit: { login: 1e9, register: 1e9 },
    // The OpenID provider's grants (bench/scenarios/oidc.ts) need a client of each kind.
    clients: benchOidcClients(),
  };
}

async function main(): Promise<void> {
  const args = readServeArgs();
  const dataDir = args.dataDir ?? ownTempDir();
  const { createApp } = await fromDist<AppModule>('app.js');
  const { parseConfig } = await fromDist<ConfigModule>('config/index.js');
  // An empty env: the bench must not pick up GATEHOUSE_* settings from the shell.
  const app = await createApp(parseConfig(benchInput(args.port, dataDir, args.databaseUrl), {}), { logger: false });
  const { yieldBackgroundThreads } = await fromDist<ThreadPriorityModule>('util/thread-priority.js');
  // As `gatehouse serve` does once it listens.
  await serveUntilStopped(app, args, yieldBackgroundThreads);
}

/** A temp dir this process deletes however it exits; why: the harness may be gone (SIGKILL) by then. */
function ownTempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

await main();
