import { Agent, request } from 'node:http';
import { cpuMark, otherCpuCores, processCpuSeconds, processRssMiB } from './cpu.js';
import type { ScenarioResult } from './load.js';
import { percentile } from './raw-loop.js';
import { TIMING } from './params.js';

/**
 * Refresh with rotation under load: each connection holds its own session and always presents the refresh token
 * the previous answer returned, as a real client must (autocannon repeats one fixed body, which after the first
 * request would only exercise the reuse window). Measured in this process like `measureHttp`.
 */
export async function measureRefresh(target: { base: string; refreshTokens: string[]; serverPid: number }): Promise<ScenarioResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: target.refreshTokens.length });
  const chains = [...target.refreshTokens];
  try {
    const warmup = await runFor(target.base, chains, agent, TIMING.warmupSeconds);
    const mark = cpuMark();
    const serverBefore = processCpuSeconds(target.serverPid);
    const loadgenBefore = process.cpuUsage();
    const run = await runFor(target.base, chains, agent, TIMING.durationSeconds);
    const loadgenUsage = process.cpuUsage(loadgenBefore);
    const serverAfter = processCpuSeconds(target.serverPid);
    const server = serverBefore === null || serverAfter === null ? null : serverAfter - serverBefore;
    const loadgen = (loadgenUsage.user + loadgenUsage.system) / 1e6;
    run.durations.sort((a, b) => a - b);
    return {
      rps: run.ok / run.seconds,
      p50Ms: percentile(run.durations, 50),
      p99Ms: percentile(run.durations, 99),
      requests: run.durations.length,
      errors: run.errors,
      timeouts: 0,
      non2xx: run.non2xx,
      statusCodes: run.statusCodes,
      seconds: run.seconds,
      serverCpuCores: server === null ? null : server / run.seconds,
      loadgenCpuCores: loadgen / run.seconds,
      otherCpuCores: otherCpuCores(mark, (server ?? 0) + loadgen),
      warmupFailures: warmup.errors + warmup.non2xx,
      serverRssMiB: processRssMiB(target.serverPid),
    };
  } finally {
    agent.destroy();
  }
}

interface ChainRun {
  durations: number[];
  ok: number;
  errors: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  seconds: number;
}

/** Every chain refreshes in a loop until `seconds` pass; a chain whose refresh failed stops (its token is gone). */
async function runFor(base: string, chains: string[], agent: Agent, seconds: number): Promise<ChainRun> {
  const run: ChainRun = { durations: [], ok: 0, errors: 0, non2xx: 0, statusCodes: {}, seconds: 0 };
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(chains.map(async (_, i) => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const answer = await post(`${base}/api/auth/refresh`, JSON.stringify({ refreshToken: chains[i] }), agent).catch(() => null);
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

function post(url: string, body: string, agent: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
