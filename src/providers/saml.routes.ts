import type { FastifyPluginAsync } from 'fastify';
import type { ProviderContext } from './complete-login.js';

/** SAML 2.0 service provider: AuthnRequest, ACS and SP metadata (seeds 001/004). */
export const samlRoutes: FastifyPluginAsync<{ context: ProviderContext }> = async () => {};
