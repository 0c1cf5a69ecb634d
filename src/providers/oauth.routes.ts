import type { FastifyPluginAsync } from 'fastify';
import type { ProviderContext } from './complete-login.js';

/** Google, Facebook and OIDC providers: redirect and callback (CONTRACT §5). */
export const oauthRoutes: FastifyPluginAsync<{ context: ProviderContext }> = async () => {};
