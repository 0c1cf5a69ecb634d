/**
 * Memory per 10,000 active sessions on the big database (issue 7 "Scale"): the server's heap and RSS after a full GC,
 * around two batches of newly active sessions with a control run between them.
 */
import { processRssMiB } from '../../lib/cpu.js';
import { formatCount, formatSigned } from '../../lib/format.js';
import { bearer } from '../../lib/http.js';
import { waitForLine } from '../../lib/processes.js';
import { activateSessions, forEachConcurrently, range, requestOk, TOKEN_POOL, type Database, type Server } from './databases.js';

/** Active sessions per memory step, as the issue asks. */
const MEMORY_BATCH = 10_000;
/** Idle time before a memory sample, so in-flight work has finished. */
const SETTLE_MS = 1_000;
const MIB = 1024 * 1024;

/** Server memory after a full GC around two batches of newly active sessions, with a control run between them. */
export interface MemoryResult {
  batch: number;
  /** V8 heap in use growth per batch of distinct new sessions, MiB: first batch, second batch. */
  heapBatchesMiB: [number, number];
  /** RSS (VmRSS) growth per batch, MiB. */
  rssBatchesMiB: [number, number];
  /** Heap growth while the first batch's tokens were used again (no new session), MiB. */
  heapControlMiB: number;
  /** Samples after each step: before, first batch, control, second batch. */
  heapMiB: number[];
  rssMiB: number[];
}

/**
 * Server memory after a full GC, before and after 10,000 distinct seeded sessions each made one authenticated
 * request — twice, with a control in between (the first batch's tokens used again: no new session, the same
 * request work). Why two batches: agreeing batches and a flat control mean the growth is what the server keeps
 * per session. Sessions 1..TOKEN_POOL are the token pool, so the batches start after it.
 */
export async function measureMemory(db: Database): Promise<MemoryResult | null> {
  const batch = Math.min(MEMORY_BATCH, Math.floor((db.size.sessions - TOKEN_POOL) / 2));
  if (batch < 1) return null;
  process.stderr.write(`bench: memory, 2 × ${formatCount(batch)} sessions made active (POST /api/auth/refresh + GET /auth/user)…\n`);
  const samples = [await memorySample(db.server)];
  const first = await activateSessions(db.server, range(TOKEN_POOL + 1, TOKEN_POOL + batch));
  samples.push(await memorySample(db.server));
  await reuseTokens(db.server, first);
  samples.push(await memorySample(db.server));
  await activateSessions(db.server, range(TOKEN_POOL + batch + 1, TOKEN_POOL + 2 * batch));
  samples.push(await memorySample(db.server));
  const heap = samples.map((s) => s.heapUsed / MIB);
  const rss = samples.map((s) => s.rssMiB);
  const growth = (values: number[], from: number): number => values[from + 1]! - values[from]!;
  return {
    batch,
    heapBatchesMiB: [growth(heap, 0), growth(heap, 2)],
    rssBatchesMiB: [growth(rss, 0), growth(rss, 2)],
    heapControlMiB: growth(heap, 1),
    heapMiB: heap,
    rssMiB: rss,
  };
}

/** Uses already active sessions once more: the control of {@link measureMemory}. */
async function reuseTokens(server: Server, tokens: string[]): Promise<void> {
  await forEachConcurrently(tokens, async (agent, token) => {
    await requestOk(server, agent, { method: 'GET', path: '/auth/user', headers: bearer(token) }, 'GET /auth/user');
  });
}

/** Asks the server for a full GC (SIGUSR2, bench/children/gc-signal.mjs), then reads its heap in use and its VmRSS. */
async function memorySample(server: Server): Promise<{ rssMiB: number; heapUsed: number }> {
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const answer = waitForLine(server.child, 'GC ', 30_000);
  server.child.kill('SIGUSR2');
  const { heapUsed } = JSON.parse(await answer) as { heapUsed: number };
  const rssMiB = processRssMiB(server.pid);
  if (rssMiB === null) throw new Error(`no VmRSS for process ${server.pid}`);
  return { heapUsed, rssMiB };
}

/** The memory result as a sentence of the report; why: the issue sets it no ratio, so it is read, not scored. */
export function memoryNote(memory: MemoryResult | null): string {
  if (!memory) return 'Memory: not measured (too few seeded sessions).';
  const [a, b] = memory.heapBatchesMiB;
  const [ra, rb] = memory.rssBatchesMiB;
  return `Memory per ${formatCount(memory.batch)} active sessions, after a full GC: V8 heap +${a.toFixed(1)} MiB (first batch), +${b.toFixed(1)} MiB (second); ` +
    `RSS ${formatSigned(ra)} / ${formatSigned(rb)} MiB; control (first batch's tokens used again) heap ${formatSigned(memory.heapControlMiB)} MiB. ` +
    `Heap ${memory.heapMiB.map((m) => m.toFixed(0)).join(' → ')} MiB, RSS ${memory.rssMiB.map((m) => m.toFixed(0)).join(' → ')} MiB. ` +
    'Sessions made active via POST /api/auth/refresh with seeded refresh tokens, then one GET /auth/user each.';
}
