import autocannon from 'autocannon';
import { cpuMark, otherCpuCores, processCpuSeconds, processRssMiB, waitForIdleServer } from './cpu.js';
import { CONNECTIONS, TIMING } from './params.js';

/** One HTTP scenario: what to send and to which server process. */
export interface LoadTarget {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** The server's pid, to measure the CPU it used; why: tells a server-bound run from a load-generator-bound one. */
  serverPid: number;
}

/** The numbers of one measured run (warm-up excluded). */
export interface ScenarioResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  seconds: number;
  /** Cores the server process used on average (all its threads); null where /proc is missing. */
  serverCpuCores: number | null;
  /** Cores the load generator (this process) used on average. */
  loadgenCpuCores: number;
  /** Cores other programs on the machine used meanwhile; why: anything well above 0 makes the run noise. */
  otherCpuCores: number | null;
  /** Errors and non-2xx answers seen during the warm-up; why: a warm-up that fails also means the bench is broken. */
  warmupFailures: number;
  /** The server's resident memory at the end of the run, MiB; null where /proc is missing. */
  serverRssMiB?: number | null;
}

/**
 * Warms up, waits for the server to finish what the warm-up left in flight, then runs autocannon for the measured
 * duration while sampling the CPU of both processes and the machine.
 */
export async function measureHttp(target: LoadTarget): Promise<ScenarioResult> {
  const options = { url: target.url, method: target.method, headers: target.headers, body: target.body, connections: CONNECTIONS };
  await waitForIdleServer(target.serverPid);
  const warmup = await autocannon({ ...options, duration: TIMING.warmupSeconds });
  await waitForIdleServer(target.serverPid);
  const mark = cpuMark();
  const serverBefore = processCpuSeconds(target.serverPid);
  const loadgenBefore = process.cpuUsage();
  const result = await autocannon({ ...options, duration: TIMING.durationSeconds });
  const loadgenUsage = process.cpuUsage(loadgenBefore);
  const serverAfter = processCpuSeconds(target.serverPid);
  const server = serverBefore === null || serverAfter === null ? null : serverAfter - serverBefore;
  const loadgen = (loadgenUsage.user + loadgenUsage.system) / 1e6;
  return { ...summarize(result, warmup, { server, loadgen, other: otherCpuCores(mark, (server ?? 0) + loadgen) }), serverRssMiB: processRssMiB(target.serverPid) };
}

function summarize(result: autocannon.Result, warmup: autocannon.Result, cpu: { server: number | null; loadgen: number; other: number | null }): ScenarioResult {
  const seconds = result.duration;
  return {
    rps: result['2xx'] / seconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count])),
    seconds,
    serverCpuCores: cpu.server === null ? null : cpu.server / seconds,
    loadgenCpuCores: cpu.loadgen / seconds,
    otherCpuCores: cpu.other,
    warmupFailures: warmup.errors + warmup.timeouts + warmup.non2xx,
  };
}
