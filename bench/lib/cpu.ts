import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { QUIET_WAIT_MS, TIMING } from './params.js';

let clockTicks: number | undefined;

/** Kernel clock ticks per second, the unit of /proc CPU counters. */
function ticksPerSecond(): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
  return clockTicks;
}

/** User + system CPU seconds of a whole process (every thread) from /proc; null off Linux. */
export function processCpuSeconds(pid: number): number | null {
  try {
    // After "(comm)" the state is field 3, utime 14 and stime 15 (proc(5)); comm may hold spaces, so split after ')'.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').at(-1)!.trim().split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return null;
  }
}

/** Resident memory of a process in MiB (VmRSS from /proc); null off Linux or once it has exited. */
export function processRssMiB(pid: number): number | null {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileOr(`/proc/${pid}/status`));
  return match ? Number(match[1]) / 1024 : null;
}

function readFileOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * CPU seconds every core spent busy (steal included) since boot; null off Linux.
 * Why: subtracting our own processes shows what other programs took during a run, i.e. how much to trust it.
 */
export function machineBusySeconds(): number | null {
  try {
    // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"; guest time is already inside user.
    const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / ticksPerSecond();
  } catch {
    return null;
  }
}

/** A CPU reading to compare against later; see {@link otherCpuCores}. */
export interface CpuMark {
  machine: number | null;
  at: number;
}

/** Marks the start of a measured window. */
export function cpuMark(): CpuMark {
  return { machine: machineBusySeconds(), at: performance.now() };
}

/** Average cores used by programs other than ours since `start`, given the CPU seconds our processes used meanwhile. */
export function otherCpuCores(start: CpuMark, ownCpuSeconds: number): number | null {
  const now = machineBusySeconds();
  if (now === null || start.machine === null) return null;
  const seconds = (performance.now() - start.at) / 1000;
  return Math.max(0, now - start.machine - ownCpuSeconds) / seconds;
}

/** Busier than this (cores, outside our processes) and a run measures the neighbours as much as Gatehouse. */
export const NOISY_OTHER_CORES = 0.25;

/**
 * Waits, up to `maxMs`, for a one-second window in which the machine is nearly idle; resolves with whether it was.
 * Why: on a shared two-core box a test suite started next door halves every number; call only while our processes idle.
 */
export async function waitForQuietMachine(maxMs: number): Promise<boolean> {
  const deadline = performance.now() + maxMs;
  do {
    const before = machineBusySeconds();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const after = machineBusySeconds();
    if (before === null || after === null || after - before < NOISY_OTHER_CORES) return true;
  } while (performance.now() < deadline);
  return false;
}

/**
 * Announces the next run on stderr after waiting (briefly) for other programs to leave the CPU alone.
 * Why: every run starts on as quiet a machine as it can get, and says how long it will take.
 */
export async function announce(what: string, warmupSeconds: number = TIMING.warmupSeconds, durationSeconds: number = TIMING.durationSeconds): Promise<void> {
  if (!(await waitForQuietMachine(QUIET_WAIT_MS))) process.stderr.write(`bench: the machine is busy with other programs; measuring anyway\n`);
  process.stderr.write(`bench: ${what} (${warmupSeconds} s warm-up + ${durationSeconds} s)…\n`);
}

/** A server is idle when it uses less than this many cores. */
const IDLE_CORES = 0.05;
const IDLE_SAMPLE_MS = 250;
const IDLE_WAIT_MS = 30_000;

/**
 * Waits (up to 30 s) until a server process is nearly idle. Why: autocannon drops its in-flight requests when a run
 * ends, but the server still finishes them (seconds of password hashing); the next window must not pay for them.
 */
export async function waitForIdleServer(pid: number): Promise<void> {
  const deadline = performance.now() + IDLE_WAIT_MS;
  do {
    const before = processCpuSeconds(pid);
    await new Promise((resolve) => setTimeout(resolve, IDLE_SAMPLE_MS));
    const after = processCpuSeconds(pid);
    if (before === null || after === null || after - before < (IDLE_CORES * IDLE_SAMPLE_MS) / 1000) return;
  } while (performance.now() < deadline);
  process.stderr.write(`bench: server ${pid} is still busy from the previous run; measuring anyway
`);
}
