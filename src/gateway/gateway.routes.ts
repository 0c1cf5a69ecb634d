import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../services.js';

/** `GET /api/auth/context` for API gateways (seed 003's UserContext). */
export const gatewayRoutes: FastifyPluginAsync<{ services: Services }> = async () => {};
