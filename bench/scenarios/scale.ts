/**
 * Issue 7 "Scale": Gatehouse on PostgreSQL with 1,000,000 accounts and 1,000,000 sessions against the same server on
 * 1,000 of each — login and token-check latency within 1.2×, `GET /accounts` paging, memory per 10,000 active sessions.
 * Each database is a schema of its own (seeded by bench/lib/seed.ts, dropped afterwards) served by its own child process.
 * Alone: `npm run build && node --import tsx bench/scenarios/scale.ts --standalone` (prints the JSON, writes
 * results/scale-latest.json). `BENCH_SCALE_ACCOUNTS=100000` shrinks the big database while developing
 * (`npm run bench -- --quick` sets it to 2,000); `BENCH_DATABASE_URL` picks the server.
 */
import { announce } from '../lib/cpu.js';
import { formatCount } from '../lib/format.js';
import { bearer, jsonProbe, type Probe } from '../lib/http.js';
import { TIMING } from '../lib/params.js';
import { installCleanup, isEntry, runMain } from '../lib/processes.js';
import { writeAtomically } from '../lib/report.js';
import { formatSteps, SEED_PASSWORD, seededEmail } from '../lib/seed.js';
import { latencyCell, ratioTarget, type Measured, type Target } from '../lib/targets.js';
import { alternateRequests, summarizeLoop, type LatencyResult } from '../lib/timed-load.js';
import { accountsPage, PAGE_SIZE, prepareDatabase, releaseDatabase, TOKEN_POOL, type Database, type Size } from './scale/databases.js';
import { measureMemory, memoryNote, type MemoryResult } from './scale/memory.js';

const SMALL: Size = { accounts: 1_000, sessions: 1_000 };
/** Login connections: both argon2 slots busy, nothing queued, so latency and not queueing is measured. */
const LOGIN_CONNECTIONS = 2;
/** Token checks and pages one at a time: the server's own latency, not its event-loop queue. */
const READ_CONNECTIONS = 1;
const RESULTS_FILE = new URL('../results/scale-latest.json', import.meta.url);

/** One scenario, run against both databases. */
interface Scenario {
  key: string;
  what: (db: Database) => string;
  connections: number;
  probe: (db: Database) => (i: number) => Probe;
}

/** Both databases' results of one scenario. */
type Compared = Record<Database['label'], LatencyResult>;

/** The big database's size; why: `BENCH_SCALE_ACCOUNTS` keeps development runs short, the size is the default. */
function bigSize(): Size {
  const accounts = Number(process.env.BENCH_SCALE_ACCOUNTS) > 0 ? Math.floor(Number(process.env.BENCH_SCALE_ACCOUNTS)) : 1_000_000;
  return { accounts, sessions: accounts };
}

const SCENARIOS: Scenario[] = [
  {
    key: 'login',
    what: () => `POST /api/auth/login, ${LOGIN_CONNECTIONS} connections`,
    connections: LOGIN_CONNECTIONS,
    // Accounts spread through the whole table, each with the seeded password.
    probe: (db) => (i) => jsonProbe('POST', '/api/auth/login', { email: seededEmail(1 + ((i * 104_729) % db.size.accounts)), password: SEED_PASSWORD }),
  },
  {
    key: 'token-check',
    what: (db) => `GET /auth/user, bearer tokens of ${db.pool.length} sessions`,
    connections: READ_CONNECTIONS,
    probe: (db) => (i) => ({ method: 'GET', path: '/auth/user', headers: bearer(db.pool[i % db.pool.length]!) }),
  },
  {
    key: 'accounts-first-page',
    what: () => `GET /accounts?page=1&size=${PAGE_SIZE}`,
    connections: READ_CONNECTIONS,
    probe: (db) => () => accountsPage(db, 1),
  },
  {
    key: 'accounts-middle-page',
    what: (db) => `GET /accounts?page=${db.middlePage}&size=${PAGE_SIZE}&after=… (middle page by the previous page's next link)`,
    connections: READ_CONNECTIONS,
    probe: (db) => () => ({ method: 'GET', path: db.middleByCursor, headers: bearer(db.adminToken) }),
  },
  {
    // Informational, no target: what a client jumping to a page number pays (OFFSET skips every earlier entry).
    key: 'accounts-middle-page-offset',
    what: (db) => `GET /accounts?page=${db.middlePage}&size=${PAGE_SIZE} (middle page by OFFSET, no cursor)`,
    connections: READ_CONNECTIONS,
    probe: (db) => () => accountsPage(db, db.middlePage),
  },
];

/**
 * Seeds both databases, keeps both servers up, and runs every scenario on both, alternating request by request
 * (see {@link compare}); then memory on the big one. Why: issue 7 promises latency that does not grow with the install.
 */
export async function measureScale(): Promise<Measured> {
  const opened: Database[] = [];
  try {
    opened.push(await prepareDatabase('small', SMALL));
    opened.push(await prepareDatabase('big', bigSize()));
    const [small, big] = opened as [Database, Database];
    const results: Record<string, Compared> = {};
    for (const scenario of SCENARIOS) results[scenario.key] = await compare(scenario, small, big);
    const memory = await measureMemory(big);
    return {
      targets: targets(results, small, big),
      runs: Object.fromEntries(Object.entries(results).flatMap(([key, r]) => [[`scale-${key}-small`, r.small], [`scale-${key}-big`, r.big]])),
      notes: notes(results, small, big, memory),
    };
  } finally {
    for (const db of opened.reverse()) await releaseDatabase(db);
  }
}

/**
 * One scenario on both databases, alternating request by request (bench/lib/timed-load.ts): every connection sends to
 * the small server, then the big one, then the small one again… Warm-up the same way, discarded. Each side gets as
 * many requests as a run of its own of TIMING.durationSeconds would.
 */
async function compare(scenario: Scenario, small: Database, big: Database): Promise<Compared> {
  await announce(`${scenario.what(big)}, ${formatCount(small.size.accounts)} vs ${formatCount(big.size.accounts)} accounts, alternating`,
    2 * TIMING.warmupSeconds, 2 * TIMING.durationSeconds);
  const sides = [small, big].map((db) => ({ base: db.server.url, pid: db.server.pid, probe: scenario.probe(db) }));
  const warmup = await alternateRequests(sides, scenario.connections, 2 * TIMING.warmupSeconds);
  const [s, b] = await alternateRequests(sides, scenario.connections, 2 * TIMING.durationSeconds);
  return { small: summarizeLoop(s!, warmup[0]!.failures), big: summarizeLoop(b!, warmup[1]!.failures) };
}

/**
 * Latency targets compare medians (p50): the typical request, not one GC pause or checkpoint.
 * Paging has two: page 1 on the big database against the small one (a page must not cost more as the table
 * grows), and the middle page reached as a client following `next` links reaches it (by cursor) against page 1 on
 * the big database (paging deep must not cost more either). The middle page by OFFSET is reported, not targeted.
 */
function targets(results: Record<string, Compared>, small: Database, big: Database): Target[] {
  const sizes = `${formatCount(big.size.accounts)} vs ${formatCount(small.size.accounts)} accounts`;
  const sizeTarget = (key: string, id: string, name: string): Target => {
    const { small: s, big: b } = results[key]!;
    return ratioTarget({ id, name: `${name} p50, ${sizes}`, measured: latencyCell(b), baseline: latencyCell(s), target: 1.2, direction: 'atMost' }, b.p50Ms, s.p50Ms);
  };
  const middle = results['accounts-middle-page']!.big;
  const first = results['accounts-first-page']!.big;
  return [
    sizeTarget('login', 'scale-login', 'POST /api/auth/login'),
    sizeTarget('token-check', 'scale-token-check', 'GET /auth/user (bearer)'),
    sizeTarget('accounts-first-page', 'scale-accounts-page-size', `GET /accounts?page=1&size=${PAGE_SIZE}`),
    ratioTarget({
      id: 'scale-accounts-page-depth', name: `GET /accounts page ${formatCount(big.middlePage)} by cursor (next link) vs page 1 p50, ${formatCount(big.size.accounts)} accounts`,
      measured: latencyCell(middle), baseline: latencyCell(first), target: 1.2, direction: 'atMost',
    }, middle.p50Ms, first.p50Ms),
  ];
}

function notes(results: Record<string, Compared>, small: Database, big: Database, memory: MemoryResult | null): string[] {
  const seeded = (db: Database) => `${formatCount(db.size.accounts)} accounts + ${formatCount(db.size.sessions)} sessions seeded in ${db.seed.seconds.toFixed(1)} s (${formatSteps(db.seed.steps)})`;
  const smallMiddle = results['accounts-middle-page']!.small;
  const offset = results['accounts-middle-page-offset']!;
  return [
    `Scale: PostgreSQL, one schema per database, both servers up, every scenario alternating requests between them. ${seeded(small)}; ${seeded(big)}.`,
    `Latencies timed per request with performance.now() over keep-alive HTTP (${LOGIN_CONNECTIONS} connections for login, ${READ_CONNECTIONS} for reads); ` +
      `login cycles over seeded accounts spread through the table, the token check over ${TOKEN_POOL} seeded sessions' access tokens. ` +
      "CPU outside the two servers and the load generator (otherCpuCores) includes PostgreSQL's own work.",
    `GET /accounts: total ${formatCount(big.total)} on the big database (middle page ${formatCount(big.middlePage)}), ${formatCount(small.total)} on the small one ` +
      `(middle page ${small.middlePage} by cursor: ${latencyCell(smallMiddle)}). The middle page is reached as a client following next links ` +
      `reaches it (page=&after=<cursor of the previous page's last account>). Informational, no target: the same page by OFFSET alone ` +
      `(page= only) takes ${latencyCell(offset.big)} on the big database, ${latencyCell(offset.small)} on the small one.`,
    memoryNote(memory),
  ];
}

async function standalone(): Promise<void> {
  installCleanup();
  const measured = await measureScale();
  const text = `${JSON.stringify({ date: new Date().toISOString(), settings: { ...TIMING, small: SMALL, big: bigSize() }, ...measured }, null, 2)}\n`;
  writeAtomically(RESULTS_FILE, text);
  process.stdout.write(text);
}

// `--standalone` runs the scale bench alone; importing this module (bench/run.ts) runs nothing.
if (isEntry(import.meta.url) && process.argv.includes('--standalone')) runMain('scale bench', standalone);
