import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../services.js';

/** Registration by redirect, e-mail availability, password-reset request and e-mail change (seed 000). */
export const signupRoutes: FastifyPluginAsync<{ services: Services }> = async () => {};
