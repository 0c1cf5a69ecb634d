import { readFileSync, readdirSync } from 'node:fs';

/**
 * The niceness of each thread of a Linux process, from /proc: the main thread's (its id is the process id) and the
 * others' by thread id. A thread that ends while being read is left out.
 */
export function threadNiceness(pid: number): { main: number; others: Record<string, number> } {
  let main = Number.NaN;
  const others: Record<string, number> = {};
  for (const threadId of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${threadId}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the command name (which may hold spaces) start at field 3 (state); nice is field 19.
    const niceness = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    if (Number(threadId) === pid) main = niceness;
    else others[threadId] = niceness;
  }
  return { main, others };
}
