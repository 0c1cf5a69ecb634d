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
  /** Warm-up when not `TIMING.warmupSeconds` (logins: `TIMING.loginWarmupSeconds`). */
  warmupSeconds?: number;
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
  const warmup = await warmUp(target);
  const slice = await measureSlice(target, TIMING.durationSeconds);
  return { ...summarize([slice], warmup), serverRssMiB: processRssMiB(target.serverPid) };
}

/** Length of each turn of {@link measureInTurns}. */
const TURN_SECONDS = 2;

/** How the measured duration splits into turns of about {@link TURN_SECONDS}. */
export function turnsOfMeasuredDuration(): { turns: number; seconds: number } {
  const turns = Math.max(1, Math.round(TIMING.durationSeconds / TURN_SECONDS));
  return { turns, seconds: TIMING.durationSeconds / turns };
}

/** Something measured in turns with an HTTP scenario: one stretch of the given length per call. */
export type Turn<T> = (seconds: number) => Promise<T>;

/**
 * An HTTP scenario and something it is compared with, measured in turns of {@link TURN_SECONDS}: the other, the
 * scenario, the other, … each for the measured duration in all. Why: a scenario compared with a baseline measured
 * minutes apart takes in the machine's drift (5–20 % within minutes here); in alternating turns a drift or jump
 * hits both alike. The other's warm-up is its own business.
 */
export async function measureInTurns<T>(target: LoadTarget, other: Turn<T>): Promise<{ result: ScenarioResult; others: T[] }> {
  const warmup = await warmUp(target);
  const { turns, seconds } = turnsOfMeasuredDuration();
  const slices: Slice[] = [];
  const others: T[] = [];
  for (let turn = 0; turn < turns; turn++) {
    // The server must have finished what the last turn left in flight before the other's turn starts.
    await waitForIdleServer(target.serverPid);
    others.push(await other(seconds));
    slices.push(await measureSlice(target, seconds));
  }
  return { result: { ...summarize(slices, warmup), serverRssMiB: processRssMiB(target.serverPid) }, others };
}

/** Two HTTP servers measured in turns (see {@link measureInTurns}), each summed over its turns. */
export async function measureSideBySide(a: LoadTarget, b: LoadTarget): Promise<[ScenarioResult, ScenarioResult]> {
  const warmupB = await warmUp(b);
  const { result, others } = await measureInTurns(a, (seconds) => measureSlice(b, seconds));
  return [result, { ...summarize(others, warmupB), serverRssMiB: processRssMiB(b.serverPid) }];
}

/** One measured stretch of load and what the processes used meanwhile. */
interface Slice {
  result: autocannon.Result;
  serverCpuSeconds: number | null;
  loadgenCpuSeconds: number;
  otherCpuCores: number | null;
}

function autocannonOptions(target: LoadTarget) {
  return { url: target.url, method: target.method, headers: target.headers, body: target.body, connections: CONNECTIONS };
}

async function warmUp(target: LoadTarget): Promise<autocannon.Result> {
  await waitForIdleServer(target.serverPid);
  return autocannon({ ...autocannonOptions(target), duration: target.warmupSeconds ?? TIMING.warmupSeconds });
}

async function measureSlice(target: LoadTarget, seconds: number): Promise<Slice> {
  await waitForIdleServer(target.serverPid);
  const mark = cpuMark();
  const serverBefore = processCpuSeconds(target.serverPid);
  const loadgenBefore = process.cpuUsage();
  const result = await autocannon({ ...autocannonOptions(target), duration: seconds });
  const loadgenUsage = process.cpuUsage(loadgenBefore);
  const serverAfter = processCpuSeconds(target.serverPid);
  const serverCpuSeconds = serverBefore === null || serverAfter === null ? null : serverAfter - serverBefore;
  const loadgenCpuSeconds = (loadgenUsage.user + loadgenUsage.system) / 1e6;
  return { result, serverCpuSeconds, loadgenCpuSeconds, otherCpuCores: otherCpuCores(mark, (serverCpuSeconds ?? 0) + loadgenCpuSeconds) };
}

/**
 * One result from one or more slices: counts and CPU summed, rates over the total time. autocannon reports
 * percentiles, not histograms, so the latencies are the slices' p50s weighted by requests and their worst p99.
 */
function summarize(slices: Slice[], warmup: autocannon.Result): ScenarioResult {
  const sum = (value: (slice: Slice) => number) => slices.reduce((total, slice) => total + value(slice), 0);
  const seconds = sum((slice) => slice.result.duration);
  const requests = sum((slice) => slice.result.requests.total);
  const statusCodes: Record<string, number> = {};
  for (const slice of slices) {
    for (const [code, { count }] of Object.entries(slice.result.statusCodeStats)) statusCodes[code] = (statusCodes[code] ?? 0) + count;
  }
  const serverCpuKnown = slices.every((slice) => slice.serverCpuSeconds !== null);
  const otherKnown = slices.every((slice) => slice.otherCpuCores !== null);
  return {
    rps: sum((slice) => slice.result['2xx']) / seconds,
    p50Ms: requests === 0 ? 0 : sum((slice) => slice.result.latency.p50 * slice.result.requests.total) / requests,
    p99Ms: Math.max(...slices.map((slice) => slice.result.latency.p99)),
    requests,
    errors: sum((slice) => slice.result.errors),
    timeouts: sum((slice) => slice.result.timeouts),
    non2xx: sum((slice) => slice.result.non2xx),
    statusCodes,
    seconds,
    serverCpuCores: serverCpuKnown ? sum((slice) => slice.serverCpuSeconds!) / seconds : null,
    loadgenCpuCores: sum((slice) => slice.loadgenCpuSeconds) / seconds,
    otherCpuCores: otherKnown ? sum((slice) => slice.otherCpuCores! * slice.result.duration) / seconds : null,
    warmupFailures: warmup.errors + warmup.timeouts + warmup.non2xx,
  };
}
