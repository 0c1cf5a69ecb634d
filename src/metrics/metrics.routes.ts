import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Metrics } from './metrics.js';
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

/** Records one request's latency under its route pattern (never its URL: ids and tokens stay out of the labels). */
export function observeRequest(metrics: Metrics, request: FastifyRequest, reply: FastifyReply): void {
  const route = request.routeOptions.url;
  if (!route || route === '/metrics') return;
  metrics.requestDuration.observe({ method: request.method, route, status: `${Math.floor(reply.statusCode / 100)}xx` }, reply.elapsedTime / 1000);
}
