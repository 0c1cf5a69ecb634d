import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '../http/errors.js';
import { KEY_RELOAD_MS, type KeyStore } from './key-store.js';

/** What the key routes read: the node's signing keys. */
export interface KeyRouteDeps {
  keys: KeyStore;
}

/** `GET /auth/public-key` (PEM, seed 000) and `GET /.well-known/jwks.json` (every key that verifies live tokens). */
export const keyRoutes: FastifyPluginAsync<KeyRouteDeps> = async (app, { keys }) => {
  // Caches may keep these no longer than a node keeps its keys before looking for a rotation.
  const cacheControl = `public, max-age=${KEY_RELOAD_MS / 1000}`;
  app.get('/auth/public-key', { schema: { tags: ['keys'], summary: 'The current public key (PEM)' } }, async (_request, reply) => {
    const { publicKeyPem } = await keys.current();
    if (!publicKeyPem) throw new AppError('not-found', 'tokens.algorithm HS512 has no public key');
    return reply.type('application/x-pem-file').header('cache-control', cacheControl).send(publicKeyPem);
  });
  app.get('/.well-known/jwks.json', { schema: { tags: ['keys'], summary: 'JSON Web Key Set' } }, async (_request, reply) =>
    reply.type('application/jwk-set+json').header('cache-control', cacheControl).send(JSON.stringify((await keys.current()).jwks)),
  );
};
