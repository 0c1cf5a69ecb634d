/**
 * Load timed request by request, taking several servers in turn: the scale bench's way of comparing the same
 * scenario on two databases. Why not autocannon: its 1 ms resolution hides a sub-millisecond check.
 */
import http from 'node:http';
import { cpuMark, machineBusySeconds, processCpuSeconds } from './cpu.js';
import { send, type Probe } from './http.js';
import type { ScenarioResult } from './load.js';
import { percentile, sumOf } from './stats.js';

/** An HTTP run timed request by request; the ms fields are fractional (µs resolution). */
export interface LatencyResult extends ScenarioResult {
  meanMs: number;
}

/** One server the load takes in turn: where it listens, its pid (for its CPU) and the request to send it. */
export interface Side {
  base: URL;
  pid: number;
  /** The `i`-th request this side gets. */
  probe: (i: number) => Probe;
}

/** What one side of an alternating run measured, CPU included. */
export interface LoopRun {
  durationsMs: number[];
  statusCodes: Record<string, number>;
  errors: number;
  failures: number;
  seconds: number;
  serverCpuSeconds: number | null;
  /** The load generator's CPU over the whole run (shared by every side). */
  loadgenCpuSeconds: number;
  /** CPU seconds programs other than the servers and the load generator used meanwhile; null off Linux. */
  otherCpuSeconds: number | null;
}

/**
 * `connections` loops, each sending one request after another for `seconds`, taking the sides in turn (connection c
 * starts with side c, so the requests in flight are mixed too), each request timed with `performance.now()` over
 * keep-alive HTTP. Why in turns: on a shared two-core machine a neighbour's burst or a checkpoint then lands on every
 * side alike. Answers each side's run in the order of `sides`.
 */
export async function alternateRequests(sides: Side[], connections: number, seconds: number): Promise<LoopRun[]> {
  const states = sides.map((side) => ({
    side,
    agent: new http.Agent({ keepAlive: true, maxSockets: connections }),
    next: 0,
    cpuBefore: processCpuSeconds(side.pid),
    run: { durationsMs: [], statusCodes: {}, errors: 0, failures: 0, seconds: 0, serverCpuSeconds: null, loadgenCpuSeconds: 0, otherCpuSeconds: null } as LoopRun,
  }));
  const mark = cpuMark();
  const loadgenBefore = process.cpuUsage();
  const end = mark.at + seconds * 1000;
  const loop = async (connection: number): Promise<void> => {
    for (let turn = connection; performance.now() < end; turn++) {
      const state = states[turn % states.length]!;
      await timeOne(state.side.base, state.agent, state.side.probe(state.next++), state.run);
    }
  };
  try {
    await Promise.all(Array.from({ length: connections }, (_, c) => loop(c)));
  } finally {
    for (const state of states) state.agent.destroy();
  }
  const elapsed = (performance.now() - mark.at) / 1000;
  const loadgen = process.cpuUsage(loadgenBefore);
  for (const state of states) {
    const after = processCpuSeconds(state.side.pid);
    Object.assign(state.run, { seconds: elapsed, loadgenCpuSeconds: (loadgen.user + loadgen.system) / 1e6, serverCpuSeconds: state.cpuBefore === null || after === null ? null : after - state.cpuBefore });
  }
  const busy = machineBusySeconds();
  const ours = sumOf(states, (state) => state.run.serverCpuSeconds ?? 0) + states[0]!.run.loadgenCpuSeconds;
  const other = busy === null || mark.machine === null ? null : Math.max(0, busy - mark.machine - ours);
  return states.map((state) => ({ ...state.run, otherCpuSeconds: other }));
}

async function timeOne(base: URL, agent: http.Agent, request: Probe, run: LoopRun): Promise<void> {
  const t0 = performance.now();
  try {
    const { status } = await send(base, agent, request);
    run.durationsMs.push(performance.now() - t0);
    run.statusCodes[status] = (run.statusCodes[status] ?? 0) + 1;
    if (status < 200 || status > 299) run.failures++;
  } catch {
    run.errors++;
    run.failures++;
  }
}

/** One side of an alternating run in the shape of the other bench runs (rps: this server's share). */
export function summarizeLoop(run: LoopRun, warmupFailures: number): LatencyResult {
  const sorted = [...run.durationsMs].sort((a, b) => a - b);
  const ok = sumOf(Object.entries(run.statusCodes).filter(([code]) => code.startsWith('2')), ([, n]) => n);
  return {
    rps: ok / run.seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    meanMs: sumOf(sorted, (ms) => ms) / Math.max(sorted.length, 1),
    requests: sorted.length + run.errors,
    errors: run.errors,
    timeouts: 0,
    non2xx: sorted.length - ok,
    statusCodes: run.statusCodes,
    seconds: run.seconds,
    serverCpuCores: run.serverCpuSeconds === null ? null : run.serverCpuSeconds / run.seconds,
    loadgenCpuCores: run.loadgenCpuSeconds / run.seconds,
    otherCpuCores: run.otherCpuSeconds === null ? null : run.otherCpuSeconds / run.seconds,
    warmupFailures,
  };
}
