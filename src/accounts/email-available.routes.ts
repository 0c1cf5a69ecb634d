import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { Email, errorResponses } from '../http/schemas.js';

const EmailQuery = Type.Object({ email: Email });

/** What the route asks: whether an address is free to register (no account and no pending change holds it). */
export interface EmailAvailability {
  isAvailable(email: string): Promise<boolean>;
}

/** `GET /auth/email-available?email=` (seed 000), for registration forms; rate limited as `emailAvailable`. */
export const emailAvailableRoutes: FastifyPluginAsync<{ availability: EmailAvailability }> = async (fastify, { availability }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/auth/email-available', {
    schema: { tags: ['auth'], summary: 'Whether an e-mail address can still be registered', querystring: EmailQuery, response: { 200: Type.Object({ available: Type.Boolean() }), ...errorResponses } },
  }, async (request, reply) => reply.header('cache-control', 'no-store').send({ available: await availability.isAvailable(request.query.email) }));
};
