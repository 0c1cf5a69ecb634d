import type { FastifyPluginAsync } from 'fastify';
import type { ProviderContext } from './complete-login.js';

/** CAS 1/2/3 and SAML 1.1 client: redirect and ticket validation (seeds 001/004). */
export const casRoutes: FastifyPluginAsync<{ context: ProviderContext }> = async () => {};
