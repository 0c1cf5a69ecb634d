/**
 * Preloaded into a bench server (`NODE_OPTIONS=--import …/gc-signal.mjs`) by the scale bench: on SIGUSR2 it runs a
 * full garbage collection and prints `GC {"rss":…,"heapUsed":…}` (bytes). Why: memory per active session is what stays
 * reachable, and without a collection first the garbage of the requests that created the sessions swamps it.
 * Plain JavaScript because NODE_OPTIONS imports run before the child's own `--import tsx`.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
/** @type {() => void} */
const gc = runInNewContext('gc');

process.on('SIGUSR2', () => {
  // Twice: the first pass can leave objects that only the second finds unreachable (weak references, finalizers).
  gc();
  gc();
  const { rss, heapUsed } = process.memoryUsage();
  process.stdout.write(`GC ${JSON.stringify({ rss, heapUsed })}\n`);
});
