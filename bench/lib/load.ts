import autocannon from 'autocannon';
import { cpuMark, otherCpuCores, processCpuSeconds, processRssMiB, waitForIdleServer } from './cpu.js';
import { CONNECTIONS, TIMING } from './params.js';
import { combinedLatency, sumOf } from './stats.js';

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

/** Something measured in turns with an HTTP scenario: one stretch of the given length per call. */
export type Turn<T> = (seconds: number) => Promise<T>;

/**
 * The other's turn, then the scenario's, and again, for the measured duration in all, split into turns of about
 * {@link TURN_SECONDS}. Answers each side's stretches in order.
 */
export async function alternate<S, T>(serverPid: number, scenario: Turn<S>, other: Turn<T>): Promise<{ stretches: S[]; others: T[] }> {
  const turns = Math.max(1, Math.round(TIMING.durationSeconds / TURN_SECONDS));
  const seconds = TIMING.durationSeconds / turns;
  const stretches: S[] = [];
  const others: T[] = [];
  for (let turn = 0; turn < turns; turn++) {
    // The server must have finished what the last turn left in flight before the other's turn starts.
    await waitForIdleServer(serverPid);
    others.push(await other(seconds));
    stretches.push(await scenario(seconds));
  }
  return { stretches, others };
}

/**
 * An HTTP scenario and something it is compared with, measured in turns of {@link TURN_SECONDS}: the other, the
 * scenario, the other, … each for the measured duration in all. Why: a scenario compared with a baseline measured
 * minutes apart takes in the machine's drift (5–20 % within minutes here); in alternating turns a drift or jump
 * hits both alike. The other's warm-up is its own business.
 */
export async function measureInTurns<T>(target: LoadTarget, other: Turn<T>): Promise<{ result: ScenarioResult; others: T[] }> {
  const warmup = await warmUp(target);
  const { stretches, others } = await alternate(target.serverPid, (seconds) => measureSlice(target, seconds), other);
  return { result: { ...summarize(stretches, warmup), serverRssMiB: processRssMiB(target.serverPid) }, others };
}

/** Two HTTP servers measured in turns (see {@link measureInTurns}), each summed over its turns. */
export async function measureSideBySide(a: LoadTarget, b: LoadTarget): Promise<[ScenarioResult, ScenarioResult]> {
  const warmupB = await warmUp(b);
  const { result, others } = await measureInTurns(a, (seconds) => measureSlice(b, seconds));
  return [result, { ...summarize(others, warmupB), serverRssMiB: processRssMiB(b.serverPid) }];
}

/** One measured stretch of load (`run`: what the load generator answered) and what the processes used meanwhile. */
export interface Stretch<R> {
  run: R;
  /** How long the stretch lasted. */
  seconds: number;
  serverCpuSeconds: number | null;
  loadgenCpuSeconds: number;
  otherCpuCores: number | null;
}

type Slice = Stretch<autocannon.Result>;

/**
 * Runs one stretch of load once the server is idle, and samples the CPU of the server, of this process (the load
 * generator) and of the machine around it. `secondsOf` reads the stretch's length from what the load answered.
 */
export async function measureStretch<R>(serverPid: number, load: () => Promise<R>, secondsOf: (run: R) => number): Promise<Stretch<R>> {
  await waitForIdleServer(serverPid);
  const mark = cpuMark();
  const serverBefore = processCpuSeconds(serverPid);
  const loadgenBefore = process.cpuUsage();
  const run = await load();
  const loadgenUsage = process.cpuUsage(loadgenBefore);
  const serverAfter = processCpuSeconds(serverPid);
  const serverCpuSeconds = serverBefore === null || serverAfter === null ? null : serverAfter - serverBefore;
  const loadgenCpuSeconds = (loadgenUsage.user + loadgenUsage.system) / 1e6;
  return { run, seconds: secondsOf(run), serverCpuSeconds, loadgenCpuSeconds, otherCpuCores: otherCpuCores(mark, (serverCpuSeconds ?? 0) + loadgenCpuSeconds) };
}

/** The CPU columns of stretches taken as one: cores on average over their whole time, null where one is unknown. */
export function cpuColumns(stretches: Array<Stretch<unknown>>): Pick<ScenarioResult, 'seconds' | 'serverCpuCores' | 'loadgenCpuCores' | 'otherCpuCores'> {
  const sum = (value: (stretch: Stretch<unknown>) => number) => sumOf(stretches, value);
  const seconds = sum((stretch) => stretch.seconds);
  const serverCpuKnown = stretches.every((stretch) => stretch.serverCpuSeconds !== null);
  const otherKnown = stretches.every((stretch) => stretch.otherCpuCores !== null);
  return {
    seconds,
    serverCpuCores: serverCpuKnown ? sum((stretch) => stretch.serverCpuSeconds!) / seconds : null,
    loadgenCpuCores: sum((stretch) => stretch.loadgenCpuSeconds) / seconds,
    otherCpuCores: otherKnown ? sum((stretch) => stretch.otherCpuCores! * stretch.seconds) / seconds : null,
  };
}

function autocannonOptions(target: LoadTarget) {
  return { url: target.url, method: target.method, headers: target.headers, body: target.body, connections: CONNECTIONS };
}

async function warmUp(target: LoadTarget): Promise<autocannon.Result> {
  await waitForIdleServer(target.serverPid);
  return autocannon({ ...autocannonOptions(target), duration: target.warmupSeconds ?? TIMING.warmupSeconds });
}

function measureSlice(target: LoadTarget, seconds: number): Promise<Slice> {
  return measureStretch(target.serverPid, () => autocannon({ ...autocannonOptions(target), duration: seconds }), (result) => result.duration);
}

/**
 * One result from one or more slices: counts and CPU summed, rates over the total time. autocannon reports
 * percentiles, not histograms, so the latencies are the slices' p50s weighted by requests and their worst p99.
 */
function summarize(slices: Slice[], warmup: autocannon.Result): ScenarioResult {
  const sum = (value: (slice: Slice) => number) => sumOf(slices, value);
  const cpu = cpuColumns(slices);
  const requests = sum((slice) => slice.run.requests.total);
  const latency = combinedLatency(slices.map((slice) => ({ count: slice.run.requests.total, p50Ms: slice.run.latency.p50, p99Ms: slice.run.latency.p99 })));
  const statusCodes: Record<string, number> = {};
  for (const slice of slices) {
    for (const [code, { count }] of Object.entries(slice.run.statusCodeStats)) statusCodes[code] = (statusCodes[code] ?? 0) + count;
  }
  return {
    ...cpu,
    rps: sum((slice) => slice.run['2xx']) / cpu.seconds,
    ...latency,
    requests,
    errors: sum((slice) => slice.run.errors),
    timeouts: sum((slice) => slice.run.timeouts),
    non2xx: sum((slice) => slice.run.non2xx),
    statusCodes,
    warmupFailures: warmup.errors + warmup.timeouts + warmup.non2xx,
  };
}
