import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../services.js';

/** Account list, delete, sessions and API keys (seed 000). */
export const accountAdminRoutes: FastifyPluginAsync<{ services: Services }> = async () => {};
