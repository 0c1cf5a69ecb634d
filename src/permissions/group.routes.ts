import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../services.js';

/** Groups, membership and permissions (seed 000). */
export const groupRoutes: FastifyPluginAsync<{ services: Services }> = async () => {};
