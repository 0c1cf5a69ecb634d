import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../services.js';

/** Invitation codes for sign-up (signup.inviteOnly). */
export const inviteRoutes: FastifyPluginAsync<{ services: Services }> = async () => {};
