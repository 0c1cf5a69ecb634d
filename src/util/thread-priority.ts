import { readdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { getPriority, setPriority } from 'node:os';

/**
 * How many nice steps below the event loop the other threads run. Why 10: on the bench's two cores, refresh with
 * rotation gained 10–25 % at 10, 3–5 % at 5, and no more at 19 (docs/performance.md).
 */
export const BACKGROUND_NICENESS = 10;

/** What {@link yieldBackgroundThreads} did: the threads it lowered, by thread id, and the niceness they got. */
export interface YieldedThreads {
  threadIds: number[];
  niceness: number;
}

/**
 * Lowers the scheduling priority of every thread of this process but the event loop's: libuv's pool (argon2
 * hashes, RS512 signatures, file access) and V8's helpers (garbage collection, compiling).
 *
 * Why: the event loop is the one thread every request passes through. On equal priority the kernel shares the
 * cores evenly, so the loop waits behind the hashes and signatures it queued itself while the requests that would
 * use the results wait behind the loop. At a lower priority those threads still get every cycle the loop does not
 * want, and the loop runs as soon as it has work.
 *
 * Call it once, on the main thread, when the server starts. Linux only: a thread is a task there and
 * `setpriority` takes its id. Elsewhere, or where the kernel refuses, nothing changes and no thread is listed.
 */
export async function yieldBackgroundThreads(): Promise<YieldedThreads> {
  const niceness = Math.min(19, getPriority() + BACKGROUND_NICENESS);
  if (process.platform !== 'linux') return { threadIds: [], niceness };
  await startThreadPool();
  const threadIds: number[] = [];
  for (const threadId of otherThreadIds()) {
    try {
      setPriority(threadId, niceness);
      threadIds.push(threadId);
    } catch {
      // The thread ended meanwhile, or a sandbox forbids setpriority: it keeps the loop's priority, which is harmless.
    }
  }
  return { threadIds, niceness };
}

/** libuv starts all its pool threads at the first piece of work it queues; one file lookup is such work. */
async function startThreadPool(): Promise<void> {
  await stat('/proc/self');
}

/** Every thread of this process but the main one, whose id is the process id. */
function otherThreadIds(): number[] {
  return readdirSync('/proc/self/task').map(Number).filter((threadId) => threadId !== process.pid);
}
