/**
 * The least an HTTP password login can be: a bare Fastify route that parses the JSON body, verifies the password
 * with Gatehouse's own hasher (same argon2id cost, same concurrency cap) and answers a small JSON, in a process that
 * runs its other threads below the event loop as `gatehouse serve` does. No database, no session, no token.
 * Why: shows how close to raw argon2id any login served over HTTP gets on this machine, so the login targets can be
 * read against it. Prints `READY <port>`.
 */
import Fastify from 'fastify';
import { BENCH_USER, HASH_CONCURRENCY, PRODUCTION_HASH } from '../lib/params.js';
import { fromDist, readServeArgs, serveUntilStopped } from '../lib/serve.js';

type HasherModule = typeof import('../../src/passwords/hasher.js');
type ThreadPriorityModule = typeof import('../../src/util/thread-priority.js');

const LoginBody = {
  type: 'object',
  required: ['email', 'password'],
  properties: { email: { type: 'string' }, password: { type: 'string' } },
} as const;

async function main(): Promise<void> {
  const { createPasswordHasher } = await fromDist<HasherModule>('passwords/hasher.js');
  const { yieldBackgroundThreads } = await fromDist<ThreadPriorityModule>('util/thread-priority.js');
  const hasher = createPasswordHasher({ ...PRODUCTION_HASH, concurrency: HASH_CONCURRENCY });
  const stored = await hasher.hash(BENCH_USER.password);
  const app = Fastify({ logger: false });
  app.post('/api/auth/login', { schema: { body: LoginBody } }, async (request, reply) => {
    const { email, password } = request.body as { email: string; password: string };
    if (!(await hasher.verify(stored, password))) return reply.code(401).send({ error: 'invalid-credentials' });
    return { user: email };
  });
  await serveUntilStopped(app, readServeArgs(), yieldBackgroundThreads);
}

await main();
