/**
 * Issue 7 target 3, refresh with rotation: `POST /api/auth/refresh` on SQLite and on PostgreSQL, each in turns with
 * raw RS512 signing of Gatehouse's access-token claims (bench/children/sign-raw.ts), the work a refresh cannot avoid.
 */
import { announce } from '../lib/cpu.js';
import { login, register, startGatehouse } from '../lib/gatehouse.js';
import { BENCH_DATABASE_URL, CONNECTIONS } from '../lib/params.js';
import { stopChild, type BenchServer } from '../lib/processes.js';
import { combinedStretches } from '../lib/raw-loop.js';
import { startSigningTurns } from '../lib/raw-turns.js';
import { measureRefreshInTurns } from '../lib/refresh-load.js';
import { createSchema, dropSchema } from '../lib/seed.js';
import { httpCell, rawCell, ratioTarget, type Measured } from '../lib/targets.js';

/** The databases refresh runs on, as its run names say them. */
export type RefreshDatabase = 'SQLite' | 'PostgreSQL';

/** Each database's target id in latest.json and the chart. */
const TARGET_IDS: Record<RefreshDatabase, string> = { SQLite: 'refresh-sqlite', PostgreSQL: 'refresh-postgres' };

/**
 * One session per connection, each refreshed along its own chain, in turns with raw RS512 signing.
 * Why chains: a real client always presents the token the previous refresh returned.
 */
export async function measureRefresh(server: BenchServer, database: RefreshDatabase): Promise<Measured> {
  const refreshTokens: string[] = [];
  for (let i = 0; i < CONNECTIONS; i++) refreshTokens.push((await login(server.base)).refreshToken);
  const signing = await startSigningTurns();
  try {
    await announce(`POST /api/auth/refresh, ${CONNECTIONS} rotating chains, in turns with raw RS512 signing (${CONNECTIONS} in flight)`);
    const { result, others } = await measureRefreshInTurns({ base: server.base, refreshTokens, serverPid: server.child.pid! }, (seconds) => signing.measure(seconds));
    const sign = combinedStretches(others);
    const name = `POST /api/auth/refresh (${database})`;
    const target = ratioTarget(
      { id: TARGET_IDS[database], name: `POST /api/auth/refresh on ${database} vs raw RS512 signing`, measured: httpCell(result), baseline: rawCell(sign, 'signatures'), target: 0.4 },
      result.rps, sign.perSecond);
    return { targets: [target], runs: { [name]: result }, raw: { [`raw RS512 signing (jose), in turns with ${name}`]: sign }, notes: [] };
  } finally {
    await signing.stop();
  }
}

/**
 * Refresh on PostgreSQL, in a schema of its own that is dropped afterwards.
 * Why a server of its own: the SQLite server's runs must not share its database or its warm caches.
 */
export async function measureRefreshOnPostgres(): Promise<Measured> {
  const schema = `bench_${process.pid}_${Date.now()}`;
  const url = await createSchema(BENCH_DATABASE_URL, schema);
  try {
    const server = await startGatehouse(['--database-url', url]);
    try {
      await register(server.base);
      return await measureRefresh(server, 'PostgreSQL');
    } finally {
      await stopChild(server.child);
    }
  } finally {
    await dropSchema(BENCH_DATABASE_URL, schema);
  }
}
