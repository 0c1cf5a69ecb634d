/**
 * Issue 7 target 2, the authenticated read: `GET /auth/user` with a bearer JWT and with a session cookie, each in
 * turns with the same GET on a bare Fastify route serving Gatehouse's answer (bench/children/bare-server.ts).
 */
import { announce } from '../lib/cpu.js';
import type { Credentials } from '../lib/gatehouse.js';
import { bearer, cookie } from '../lib/http.js';
import { measureSideBySide, type ScenarioResult } from '../lib/load.js';
import { USER_PATH } from '../lib/params.js';
import { startBenchServer, stopChild, type BenchServer } from '../lib/processes.js';
import { httpCell, ratioTarget, type Measured, type Target } from '../lib/targets.js';

/** The two ways a client presents itself on a read. */
const KINDS = ['bearer', 'cookie'] as const;
type Kind = (typeof KINDS)[number];

/**
 * Both reads on `server`, each in turns with the bare route, so both see the machine as it was.
 * Why a bare route: it shows what Fastify alone costs here, so the ratio isolates Gatehouse's own work.
 */
export async function measureReads(server: BenchServer, credentials: Credentials): Promise<Measured> {
  const bare = await startBenchServer('children/bare-server.ts', [], { env: { BENCH_BODY: credentials.userJson } });
  const runs: Record<string, ScenarioResult> = {};
  try {
    for (const kind of KINDS) {
      const headers = kind === 'bearer' ? bearer(credentials.accessToken) : cookie(credentials.cookie);
      await announce(`GET ${USER_PATH} with a ${kind === 'bearer' ? 'bearer JWT' : 'session cookie'}, in turns with a bare Fastify route`);
      const [gatehouse, baseline] = await measureSideBySide(
        { url: server.base + USER_PATH, method: 'GET', headers, serverPid: server.child.pid! },
        { url: bare.base + USER_PATH, method: 'GET', headers, serverPid: bare.child.pid! },
      );
      runs[readRun(kind)] = gatehouse;
      runs[bareRun(kind)] = baseline;
    }
  } finally {
    await stopChild(bare.child);
  }
  return { targets: [readTarget('user-bearer', 'bearer', runs), readTarget('user-cookie', 'cookie', runs)], runs, notes: [] };
}

/** The name of Gatehouse's read run, as the report lists it (and the better-auth comparison reads it). */
export function readRun(kind: Kind): string {
  return `GET ${USER_PATH} (${kind})`;
}

function bareRun(kind: Kind): string {
  return `GET ${USER_PATH} (bare Fastify, ${kind} header)`;
}

/** A read's throughput against the bare route's; the target is 0.6. */
function readTarget(id: string, kind: Kind, runs: Record<string, ScenarioResult>): Target {
  const gatehouse = runs[readRun(kind)]!;
  const bare = runs[bareRun(kind)]!;
  return ratioTarget({ id, name: `GET ${USER_PATH} (${kind}) vs bare Fastify route`, measured: httpCell(gatehouse), baseline: httpCell(bare), target: 0.6 }, gatehouse.rps, bare.rps);
}
