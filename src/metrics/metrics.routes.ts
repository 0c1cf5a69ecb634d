import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from './metrics.js';

/** What `/metrics` reads: the node's registry. */
export interface MetricsRouteDeps {
  metrics: Metrics;
}

/**
 * `GET /metrics` in Prometheus text format. It carries counts only, never an account; still, expose it to your
 * scraper rather than the internet (docs/configuration.md).
 */
export const metricsRoutes: FastifyPluginAsync<MetricsRouteDeps> = async (app, { metrics }) => {
  app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics' } }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
};

