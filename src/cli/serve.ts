/**
 * `gatehouse serve`: migrate, build the app, listen, say what it did, and stop cleanly on SIGTERM/SIGINT.
 * Why here and not in app.ts: listening, signals and the start-up report belong to the process, not to the app
 * that tests build many times in one process (fastify's `build(config)` apart from `listen`).
 */
import type { FastifyInstance } from 'fastify';
import { ignoredAdminPasswordWarning, readAdminPasswordState } from '../accounts/admin-password.js';
import { createApp } from '../app.js';
import { missingSecretWarnings } from '../clients/client-secrets.js';
import type { Config } from '../config/index.js';
import type { Database } from '../db/database.js';
import { yieldBackgroundThreads } from '../util/thread-priority.js';
import { openMigrated } from './database.js';
import { CliError, oneLineCause } from './errors.js';
import { describeStartup, startupSummary } from './startup.js';

/** How long a stopping node keeps serving before it closes (see `serve`). */
const SHUTDOWN_DRAIN_MS = 1000;

/** Runs the server until SIGTERM or SIGINT; 0 after a clean stop. */
export async function serve(config: Config): Promise<number> {
  const { database, applied } = await openMigrated(config);
  let app: FastifyInstance;
  let before: Awaited<ReturnType<typeof readAdminPasswordState>>;
  try {
    before = await readAdminPasswordState(database.db, config.admin.username);
    app = await createApp(config, { database });
  } catch (error) {
    await database.close();
    throw error;
  }
  try {
    if (config.https.disableVerification) app.log.warn('https.disableVerification is on: TLS certificates of identity providers are NOT checked (test setups only)');
    const ignored = ignoredAdminPasswordWarning(config, before);
    if (ignored) app.log.warn(ignored);
    for (const warning of await missingSecretWarnings(database.db, config.clients)) app.log.warn(warning);
    await listen(app, config);
    const after = await readAdminPasswordState(database.db, config.admin.username);
    const summary = startupSummary(config, database.dialect, applied, { before, after });
    app.log.info({ startup: summary }, `gatehouse started: ${describeStartup(summary)}`);
    const yielded = await yieldBackgroundThreads();
    app.log.debug({ threads: yielded.threadIds.length, niceness: yielded.niceness }, 'hashing, signing and GC threads run below the event loop');
    await stopOnSignal(app);
    return 0;
  } finally {
    // Fastify's close stops accepting, waits for in-flight requests, then runs onClose (cluster bus, mailer).
    await app.close();
    await closeQuietly(database);
  }
}

/** Listens on server.host:server.port; a port in use is one line, not a stack trace. */
async function listen(app: FastifyInstance, config: Config): Promise<void> {
  try {
    await app.listen({ host: config.server.host, port: config.server.port });
  } catch (error) {
    throw new CliError(`cannot listen on ${config.server.host}:${config.server.port}: ${oneLineCause(error)}`);
  }
}

/** Resolves once a signal came and the drain time has passed; `serve` then closes the app. */
function stopOnSignal(app: FastifyInstance): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      app.log.info({ signal }, 'shutting down: draining, then finishing in-flight requests');
      // Drain first: /readyz fails so balancers move away, and connections already accepted get read. Closing at
      // once would make Node drop accepted connections whose request it had not read yet (they count as idle).
      app.services.lifecycle.draining = true;
      setTimeout(resolve, SHUTDOWN_DRAIN_MS);
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

async function closeQuietly(database: Database): Promise<void> {
  await database.close().catch(() => undefined);
}
