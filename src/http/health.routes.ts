import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';
import { Type } from 'typebox';
import type { Services } from '../services.js';
import { AppError } from './errors.js';

const Status = Type.Object({ status: Type.String() });

/** Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the database answers, and not draining). */
export const healthRoutes: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  app.get('/healthz', { schema: { tags: ['operations'], response: { 200: Status } } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { tags: ['operations'], response: { 200: Status } } }, async () => {
    if (services.lifecycle.draining) throw new AppError('unavailable', 'shutting down: draining');
    try {
      await sql`select 1`.execute(services.database.db);
    } catch {
      throw new AppError('unavailable', 'database unreachable');
    }
    return { status: 'ready' };
  });
};
