/**
 * The baseline for the authenticated GET: a bare Fastify app whose one route returns a fixed JSON body.
 * Why: shows what Fastify alone costs on this machine, so the ratio isolates Gatehouse's own work.
 * Body from `BENCH_BODY` (JSON); prints `READY <port>`.
 */
import Fastify from 'fastify';
import { USER_PATH } from '../lib/params.js';
import { readServeArgs, serveUntilStopped } from '../lib/serve.js';

async function main(): Promise<void> {
  const body: unknown = JSON.parse(process.env.BENCH_BODY ?? '{}');
  const app = Fastify({ logger: false });
  // Gatehouse's path, so both servers get byte-for-byte the same request.
  app.get(USER_PATH, async () => body);
  await serveUntilStopped(app, readServeArgs());
}

await main();
