import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../services.js';

/** Clients CRUD (seed 000), filled in by the clients work. */
export const clientRoutes: FastifyPluginAsync<{ services: Services }> = async () => {};
