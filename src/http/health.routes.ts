import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { WriteProbe } from '../db/write-probe.js';
import type { Services } from '../services.js';
import { AppError } from './errors.js';

const Status = Type.Object({ status: Type.String() });

/**
 * Liveness (`/healthz`: the process answers) and readiness (`/readyz`: not draining, and the database takes a
 * write — a full disk still answers reads; see db/write-probe.ts).
 */
export const healthRoutes: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
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
