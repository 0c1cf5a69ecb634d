import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../services.js';

/**
 * `GET /metrics` in Prometheus text format. It carries counts only, never an account; still, expose it to your
 * scraper rather than the internet (docs/configuration.md).
 */
export const metricsRoutes: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const { metrics } = services;
  app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics' } }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
};

