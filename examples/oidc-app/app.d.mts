import type { FastifyInstance } from 'fastify';

/** examples/oidc-app/app.mjs: the README's example app. */
export function startApp(options: { issuer: string; clientId: string; clientSecret: string; port?: number; host?: string }): Promise<FastifyInstance>;
