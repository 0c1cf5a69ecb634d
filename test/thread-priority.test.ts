import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  const dir = mkdtempSync(join(tmpdir(), 'thread-priority-'));
  const priority = compiledToCommonJs(new URL('../src/util/thread-priority.ts', import.meta.url), dir);
  const threads = compiledToCommonJs(new URL('./helpers/threads.ts', import.meta.url), dir);
  const script = `
    const { stat } = require('node:fs/promises');
    const { yieldBackgroundThreads } = require(${JSON.stringify(priority)});
    const { threadNiceness } = require(${JSON.stringify(threads)});
    (async () => {
      const before = threadNiceness(process.pid).main;
      const yielded = await yieldBackgroundThreads();
      // Work for the pool after the call: it must run on threads that were lowered, not on new ones.
      await Promise.all(Array.from({ length: 12 }, () => stat('/proc/self')));
      process.stdout.write(JSON.stringify({ before, yielded, threads: threadNiceness(process.pid) }));
    })();
  `;
  const [command, ...args] = [...prefix, process.execPath, '-e', script];
  const child = spawnSync(command!, args, { env: { ...process.env, ...env }, encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  expect(child.status, child.stderr).toBe(0);
  return JSON.parse(child.stdout) as ChildReport;
}

/** A TypeScript module without imports of its own, as a CommonJS file in `dir`; answers its path. */
function compiledToCommonJs(source: URL, dir: string): string {
  const options = { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } };
  const path = join(dir, source.pathname.split('/').pop()!.replace(/\.ts$/, '.cjs'));
  writeFileSync(path, ts.transpileModule(readFileSync(source, 'utf8'), options).outputText);
  return path;
}
