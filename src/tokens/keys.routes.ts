import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../services.js';
import { AppError } from '../http/errors.js';

/** `GET /auth/public-key` (PEM, seed 000) and `GET /.well-known/jwks.json` (every key that verifies live tokens). */
export const keyRoutes: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  app.get('/auth/public-key', { schema: { tags: ['keys'], summary: 'The current public key (PEM)' } }, async (_request, reply) => {
    if (!services.keys.publicKeyPem) throw new AppError('not-found', 'tokens.algorithm HS512 has no public key');
    return reply.type('application/x-pem-file').header('cache-control', 'public, max-age=300').send(services.keys.publicKeyPem);
  });
  app.get('/.well-known/jwks.json', { schema: { tags: ['keys'], summary: 'JSON Web Key Set' } }, async (_request, reply) =>
    reply.type('application/jwk-set+json').header('cache-control', 'public, max-age=300').send(JSON.stringify(services.keys.jwks)),
  );
};
