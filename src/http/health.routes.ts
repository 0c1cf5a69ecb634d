import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { AppError } from './errors.js';

const Status = Type.Object({ status: Type.String() });

/** What the probes read. Why spelled out: http/ is plumbing and knows no service bag. */
export interface HealthDeps {
  /** Whether the database takes a write (db/write-probe.ts); rejects when it does not. */
  probe: { check(): Promise<void> };
  lifecycle: { draining: boolean };
}

/**
 * Liveness (`/healthz`: the process answers) and readiness (`/readyz`: not draining, and the database takes a
 * write — a full disk still answers reads; see db/write-probe.ts).
 */
export const healthRoutes: FastifyPluginAsync<HealthDeps> = async (app, { probe, lifecycle }) => {
  app.get('/healthz', { schema: { tags: ['operations'], response: { 200: Status } } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { tags: ['operations'], response: { 200: Status } } }, async (request) => {
    if (lifecycle.draining) throw new AppError('unavailable', 'shutting down: draining');
    try {
      await probe.check();
    } catch (error) {
      request.log.warn({ err: error }, 'readiness: the database did not take a write');
      throw new AppError('unavailable', 'database unreachable or not writable');
    }
    return { status: 'ready' };
  });
};
