import { Agent } from 'node:http';
import { processRssMiB } from './cpu.js';
import { jsonProbe, send } from './http.js';
import { alternate, cpuColumns, measureStretch, type ScenarioResult, type Stretch, type Turn } from './load.js';
import { TIMING } from './params.js';
import { percentile, sumOf } from './stats.js';

/** A refresh load: the server, and one refresh token per connection, each the head of its own chain. */
export interface RefreshTarget {
  base: string;
  refreshTokens: string[];
  serverPid: number;
}

/**
 * Refresh with rotation under load, in turns with what it is compared with (see `measureInTurns` in
 * bench/lib/load.ts): each connection holds its own session and always presents the refresh token the previous answer
 * returned, as a real client must (autocannon repeats one fixed body, which after the first request would only
 * exercise the reuse window). The chains go on from turn to turn. Measured in this process like `measureHttp`.
 */
export async function measureRefreshInTurns<T>(target: RefreshTarget, other: Turn<T>): Promise<{ result: ScenarioResult; others: T[] }> {
  const agent = new Agent({ keepAlive: true, maxSockets: target.refreshTokens.length });
  const chains = [...target.refreshTokens];
  try {
    const warmup = await runFor(target.base, chains, agent, TIMING.warmupSeconds);
    const { stretches, others } = await alternate(target.serverPid, (seconds) => measureStretch(target.serverPid, () => runFor(target.base, chains, agent, seconds), (run) => run.seconds), other);
    return { result: { ...summarizeLoops(stretches), warmupFailures: warmup.errors + warmup.non2xx, serverRssMiB: processRssMiB(target.serverPid) }, others };
  } finally {
    agent.destroy();
  }
}

/**
 * Stretches of a hand-written load loop as one: counts summed, rates over the total time, percentiles over every
 * request. Why exported: the code exchange (bench/lib/code-exchange-load.ts) is such a loop too.
 */
export function summarizeLoops(stretches: Array<Stretch<LoopRun>>): Omit<ScenarioResult, 'warmupFailures' | 'serverRssMiB'> {
  const sum = (value: (stretch: Stretch<LoopRun>) => number) => sumOf(stretches, value);
  const cpu = cpuColumns(stretches);
  const durations = stretches.flatMap((stretch) => stretch.run.durations).sort((a, b) => a - b);
  const statusCodes: Record<string, number> = {};
  for (const stretch of stretches) {
    for (const [code, count] of Object.entries(stretch.run.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + count;
  }
  return {
    ...cpu,
    rps: sum((stretch) => stretch.run.ok) / cpu.seconds,
    p50Ms: percentile(durations, 50),
    p99Ms: percentile(durations, 99),
    requests: durations.length,
    errors: sum((stretch) => stretch.run.errors),
    timeouts: 0,
    non2xx: sum((stretch) => stretch.run.non2xx),
    statusCodes,
  };
}

/** What one stretch of a hand-written load loop did: each answered request's time, and how each ended. */
export interface LoopRun {
  durations: number[];
  ok: number;
  errors: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  seconds: number;
}

/** Every chain refreshes in a loop until `seconds` pass; a chain whose refresh failed stops (its token is gone). */
async function runFor(base: string, chains: string[], agent: Agent, seconds: number): Promise<LoopRun> {
  const run: LoopRun = { durations: [], ok: 0, errors: 0, non2xx: 0, statusCodes: {}, seconds: 0 };
  const server = new URL(base);
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(chains.map(async (_, i) => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const answer = await send(server, agent, jsonProbe('POST', '/api/auth/refresh', { refreshToken: chains[i] })).catch(() => null);
      run.durations.push(performance.now() - t0);
      if (!answer) {
        run.errors++;
        return;
      }
      run.statusCodes[answer.status] = (run.statusCodes[answer.status] ?? 0) + 1;
      if (answer.status !== 200) {
        run.non2xx++;
        return;
      }
      run.ok++;
      chains[i] = (JSON.parse(answer.body) as { refreshToken: string }).refreshToken;
    }
  }));
  run.seconds = (performance.now() - start) / 1000;
  return run;
}
