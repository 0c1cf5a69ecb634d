import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { BACKGROUND_NICENESS } from '../src/util/thread-priority.js';

/*
 * The event loop outranks the process's other threads (src/util/thread-priority.ts). Each case runs in a child
 * process: the test runner's threads must keep their priority, and a raised niceness can't be lowered again
 * without privileges.
 */
describe.runIf(process.platform === 'linux')('yieldBackgroundThreads', () => {
  it('lowers every thread but the main one, the libuv pool included, and leaves none behind', () => {
    // Six pool threads instead of libuv's four: all six must be among the lowered ones.
    const { yielded, threads } = runChild([], { UV_THREADPOOL_SIZE: '6' });
    expect(yielded.niceness).toBe(Math.min(19, threads.main + BACKGROUND_NICENESS));
    expect(yielded.threadIds.length).toBeGreaterThanOrEqual(6);
    expect(Object.keys(threads.others).map(Number).sort()).toEqual([...yielded.threadIds].sort());
    for (const niceness of Object.values(threads.others)) expect(niceness).toBe(yielded.niceness);
  });

  it('leaves the main thread at the priority it was started with, and counts from it', () => {
    const { before, threads } = runChild(['nice', '-n', '3']);
    expect(threads.main).toBe(before);
    for (const niceness of Object.values(threads.others)) expect(niceness).toBe(Math.min(19, before + BACKGROUND_NICENESS));
  });
});

/** What the child reports: the main thread's niceness before the call, the call's answer, every thread's after. */
interface ChildReport {
  before: number;
  yielded: { threadIds: number[]; niceness: number };
  threads: { main: number; others: Record<string, number> };
}

/**
 * Runs yieldBackgroundThreads in a fresh node, compiled to CommonJS. Why not tsx or ESM: both read modules through
 * libuv's pool, which would start it before the call; `gatehouse serve` must not depend on something having
 * started it, so the child leaves it unstarted.
 */
function runChild(prefix: string[], env: Record<string, string> = {}): ChildReport {
  const source = readFileSync(new URL('../src/util/thread-priority.ts', import.meta.url), 'utf8');
  const compiled = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const modulePath = join(mkdtempSync(join(tmpdir(), 'thread-priority-')), 'thread-priority.cjs');
  writeFileSync(modulePath, compiled);
  const script = `
    const { readdirSync, readFileSync } = require('node:fs');
    const { stat } = require('node:fs/promises');
    const { yieldBackgroundThreads } = require(${JSON.stringify(modulePath)});
    // Niceness is field 19 of /proc/<pid>/task/<tid>/stat; the fields after the command name start at field 3.
    const niceness = (tid) => { const stat = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8'); return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]); };
    (async () => {
      const before = niceness(process.pid);
      const yielded = await yieldBackgroundThreads();
      // Work for the pool after the call: it must run on threads that were lowered, not on new ones.
      await Promise.all(Array.from({ length: 12 }, () => stat('/proc/self')));
      const others = {};
      for (const tid of readdirSync('/proc/self/task')) if (Number(tid) !== process.pid) others[tid] = niceness(tid);
      process.stdout.write(JSON.stringify({ before, yielded, threads: { main: niceness(process.pid), others } }));
    })();
  `;
  const [command, ...args] = [...prefix, process.execPath, '-e', script];
  const child = spawnSync(command!, args, { env: { ...process.env, ...env }, encoding: 'utf8' });
  expect(child.status, child.stderr).toBe(0);
  return JSON.parse(child.stdout) as ChildReport;
}
