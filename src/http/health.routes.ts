import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import type { DB } from '../db/types.js';
import { WriteProbe } from '../db/write-probe.js';
import { AppError } from './errors.js';

const Status = Type.Object({ status: Type.String() });

/** What the probes read. Why spelled out: http/ is plumbing and knows no service bag. */
export interface HealthDeps {
  database: { db: Kysely<DB> };
  clock: { now(): number };
  lifecycle: { draining: boolean };
}

/**
 * Liveness (`/healthz`: the process answers) and readiness (`/readyz`: not draining, and the database takes a
 * write — a full disk still answers reads; see db/write-probe.ts).
 */
export const healthRoutes: FastifyPluginAsync<{ services: HealthDeps }> = async (app, { services }) => {
  const probe = new WriteProbe(services.database.db, services.clock);
  app.get('/healthz', { schema: { tags: ['operations'], response: { 200: Status } } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { tags: ['operations'], response: { 200: Status } } }, async (request) => {
    if (services.lifecycle.draining) throw new AppError('unavailable', 'shutting down: draining');
    try {
      await probe.check();
    } catch (error) {
      request.log.warn({ err: error }, 'readiness: the database did not take a write');
      throw new AppError('unavailable', 'database unreachable or not writable');
    }
    return { status: 'ready' };
  });
};
