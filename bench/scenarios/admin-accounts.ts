/**
 * Issue 19 item 5: the admin console's account list (`GET /admin/accounts`) on 1,000,000 accounts — its first page and
 * a deep page (the keyset cursor of the account 900,000 places in) answer within 1.2× of each other, unfiltered,
 * searched by a prefix, and filtered by second factor. A fresh PostgreSQL schema seeded with people-like names
 * (bench/lib/seed.ts) and second factors, Gatehouse on it, the bootstrap sysadmin signed in by the console's own form
 * (a cookie session); each first page and its deep page in turns on one connection, in the same run.
 * Alone: `npm run build && node --import tsx bench/scenarios/admin-accounts.ts --standalone` (prints the JSON, writes
 * results/admin-accounts-latest.json). `BENCH_SCALE_ACCOUNTS` shrinks the database as for the scale bench.
 */
import http from 'node:http';
import pg from 'pg';
import { announce } from '../lib/cpu.js';
import { formatCount } from '../lib/format.js';
import { bearer, FORM_HEADERS, jsonProbe, send, type Probe } from '../lib/http.js';
import { BENCH_DATABASE_URL, TIMING } from '../lib/params.js';
import { installCleanup, isEntry, runMain, startBenchServer, stopChild, type BenchServer } from '../lib/processes.js';
import { writeAtomically } from '../lib/report.js';
import { createSchema, dropSchema, formatSteps, SEED_ADMIN, seedDatabase, type SeedResult } from '../lib/seed.js';
import { latencyCell, ratioTarget, type Measured, type Target } from '../lib/targets.js';
import { alternateRequests, summarizeLoop, type LatencyResult } from '../lib/timed-load.js';

/** Where the deep page starts: after this share of the list (900,000 of 1,000,000). */
const DEPTH = 0.9;
/** Rows of a console page (src/admin-console/account-list.routes.ts PAGE_SIZE). */
const CONSOLE_PAGE = 50;
/** One request at a time: the server's own latency, not its event-loop queue. */
const CONNECTIONS = 1;
/** A server on a big schema may take a while to start (it migrates and opens its pool first). */
const READY_TIMEOUT_MS = 120_000;
const RESULTS_FILE = new URL('../results/admin-accounts-latest.json', import.meta.url);

/** One list the console shows, by its query (without `after`). */
interface ListCase {
  key: string;
  what: string;
  query: string;
}

const CASES: ListCase[] = [
  { key: 'all', what: 'no filter', query: '' },
  // 1 account in 40 (a first name); the prefix index finds too many to sort, so the listing index is walked.
  { key: 'search', what: 'search "maria."', query: 'q=maria.' },
  // 1 in 2,000 (a first and last name): few enough that their prefix index finds them and they are sorted.
  { key: 'search-narrow', what: 'search "maria.garcia"', query: 'q=maria.garcia' },
  { key: 'mfa-yes', what: 'with a second factor', query: 'mfa=yes' },
  { key: 'mfa-no', what: 'without a second factor', query: 'mfa=no' },
  { key: 'mfa-yes-confirmed', what: 'with a second factor, confirmed', query: 'mfa=yes&confirmed=yes' },
];

/** What the set-up leaves for the measurements. */
interface Prepared {
  accounts: number;
  seed: SeedResult;
  factors: FactorCounts;
  server: BenchServer & { url: URL; pid: number };
  cookie: string;
  /** The `after` cursor of the account DEPTH into the list, from GET /accounts' own next link. */
  deepCursor: string;
  deepIndex: number;
}

interface FactorCounts {
  totp: number;
  unconfirmedTotp: number;
  passkeys: number;
  holders: number;
}

/** The database's size; `BENCH_SCALE_ACCOUNTS` shrinks it as it does the scale bench's big database. */
function accountCount(): number {
  const wanted = Number(process.env.BENCH_SCALE_ACCOUNTS);
  return wanted > 0 ? Math.floor(wanted) : 1_000_000;
}

/** Seeds, starts the server, signs in, measures every case, and always drops the schema. */
export async function measureAdminAccounts(): Promise<Measured> {
  const schema = `bench_console_${process.pid}`;
  const databaseUrl = await createSchema(BENCH_DATABASE_URL, schema);
  let server: Prepared['server'] | undefined;
  try {
    const accounts = accountCount();
    process.stderr.write(`bench: seeding the console's database (${formatCount(accounts)} accounts)…\n`);
    const seed = await seedDatabase({ databaseUrl, accounts, sessions: Math.ceil(accounts / 10), names: 'people' });
    const factors = await seedFactors(databaseUrl);
    process.stderr.write(`bench: seeded in ${seed.seconds.toFixed(1)} s (${formatSteps(seed.steps)}), ${formatCount(factors.holders)} with a second factor\n`);
    const started = await startBenchServer('children/server.ts', ['--database-url', databaseUrl], { readyTimeoutMs: READY_TIMEOUT_MS });
    server = { ...started, url: new URL(started.base), pid: started.child.pid! };
    const cookie = await consoleSignIn(server.url);
    const deepIndex = Math.floor(((accounts + 1) * DEPTH) / CONSOLE_PAGE) * CONSOLE_PAGE;
    const deepCursor = await cursorAt(server.url, deepIndex);
    const prepared: Prepared = { accounts, seed, factors, server, cookie, deepCursor, deepIndex };
    await checkDeepPage(prepared, databaseUrl);
    const rows: Record<string, [number, number]> = {};
    const results: Record<string, [LatencyResult, LatencyResult]> = {};
    for (const list of CASES) {
      rows[list.key] = [await rowsOf(prepared, firstPath(list)), await rowsOf(prepared, deepPath(list, deepCursor))];
      results[list.key] = await compareDepths(prepared, list);
    }
    return report(prepared, results, rows);
  } finally {
    if (server) await stopChild(server.child);
    await dropSchema(BENCH_DATABASE_URL, schema);
  }
}

/**
 * Second factors as enrolment leaves them, spread over the whole table by a hash of the id: a confirmed TOTP secret
 * for 5 % of the accounts, one more in 100 with a set-up never confirmed (no factor), a passkey for 2 %.
 */
async function seedFactors(databaseUrl: string): Promise<FactorCounts> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const people = `from accounts where username_key <> 'admin'`;
    await client.query(`insert into mfa_totp (account_id, secret_box, confirmed_at, last_step, created_at)
      select id, 'bench-not-a-secret', case when abs(hashtext(id)) % 100 < 5 then created_at + 60000 end, null, created_at
      ${people} and abs(hashtext(id)) % 100 < 6`);
    await client.query(`insert into passkeys (id, account_id, credential_id, public_key, sign_count, transports, name, backed_up, disabled_at, created_at, last_used_at)
      select gen_random_uuid()::text, id, 'bench-' || id, 'AQID', 0, '["usb"]', 'Security key', 0, null, created_at + 120000, null
      ${people} and abs(hashtext('passkey:' || id)) % 100 < 2`);
    await client.query('vacuum (analyze) mfa_totp, passkeys');
    const { rows } = await client.query<Record<keyof FactorCounts, string>>(`select
      (select count(*) from mfa_totp where confirmed_at is not null) as totp, (select count(*) from mfa_totp where confirmed_at is null) as "unconfirmedTotp",
      (select count(*) from passkeys) as passkeys,
      (select count(*) from accounts a where exists (select 1 from mfa_totp t where t.account_id = a.id and t.confirmed_at is not null)
        or exists (select 1 from passkeys p where p.account_id = a.id)) as holders`);
    const row = rows[0]!;
    return { totp: Number(row.totp), unconfirmedTotp: Number(row.unconfirmedTotp), passkeys: Number(row.passkeys), holders: Number(row.holders) };
  } finally {
    await client.end();
  }
}

/** Signs the bootstrap sysadmin in through `POST /admin/sign-in` as its form does; answers the session's cookies. */
async function consoleSignIn(base: URL): Promise<string> {
  const body = new URLSearchParams({ login: SEED_ADMIN.username, password: SEED_ADMIN.password }).toString();
  const answer = await fetch(new URL('/admin/sign-in', base), { method: 'POST', body, headers: FORM_HEADERS, redirect: 'manual' });
  if (answer.status !== 303 || answer.headers.get('location') !== '/admin') throw new Error(`console sign-in: expected 303 to /admin, got ${answer.status} ${await answer.text()}`);
  const cookie = answer.headers.getSetCookie().map((line) => line.split(';')[0]!).join('; ');
  if (!cookie) throw new Error('console sign-in set no cookie');
  return cookie;
}

/**
 * The `after` cursor naming the account `index` places into the list, as the server writes it: the next link of
 * `GET /accounts` at that depth (one OFFSET read, before any timing). Why not build it here: a cursor is the server's
 * own opaque text, and the console takes the same one.
 */
async function cursorAt(base: URL, index: number): Promise<string> {
  const agent = new http.Agent();
  const login = await send(base, agent, jsonProbe('POST', '/api/auth/login', { username: SEED_ADMIN.username, password: SEED_ADMIN.password }));
  if (login.status !== 200) throw new Error(`login: ${login.status} ${login.body}`);
  const token = (JSON.parse(login.body) as { accessToken: string }).accessToken;
  const page = await send(base, agent, { method: 'GET', path: `/accounts?page=${index / CONSOLE_PAGE}&size=${CONSOLE_PAGE}`, headers: bearer(token) });
  if (page.status !== 200) throw new Error(`GET /accounts: ${page.status} ${page.body.slice(0, 300)}`);
  const next = (JSON.parse(page.body) as { _links: { next?: { href: string } } })._links.next?.href;
  const after = next === undefined ? null : new URL(next).searchParams.get('after');
  if (!after) throw new Error(`GET /accounts page ${index / CONSOLE_PAGE} has no next link with a cursor`);
  return after;
}

/** Fails unless the unfiltered deep page starts with the account right after `deepIndex`; why: never time a wrong page. */
async function checkDeepPage(prepared: Prepared, databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  let expected: string | undefined;
  try {
    expected = (await client.query<{ id: string }>('select id from accounts order by created_at, id offset $1 limit 1', [prepared.deepIndex])).rows[0]?.id;
  } finally {
    await client.end();
  }
  const page = await fetchOk(prepared, deepPath(CASES[0]!, prepared.deepCursor));
  const first = /<th scope="row"[^>]*><a href="\/admin\/accounts\/([0-9a-f-]{36})"/.exec(page)?.[1];
  if (!expected || first !== expected) throw new Error(`the deep page starts with ${first}, not the account after ${prepared.deepIndex} (${expected})`);
}

const firstPath = (list: ListCase) => (list.query ? `/admin/accounts?${list.query}` : '/admin/accounts');
const deepPath = (list: ListCase, cursor: string) => `/admin/accounts?${list.query ? `${list.query}&` : ''}after=${cursor}`;

function consoleProbe(prepared: Prepared, path: string): Probe {
  return { method: 'GET', path, headers: { cookie: prepared.cookie, accept: 'text/html' } };
}

/** The page as the signed-in sysadmin sees it; fails loudly on anything but a 200. */
async function fetchOk(prepared: Prepared, path: string): Promise<string> {
  const answer = await send(prepared.server.url, new http.Agent(), consoleProbe(prepared, path));
  if (answer.status !== 200) throw new Error(`GET ${path}: expected 200, got ${answer.status} ${answer.body.slice(0, 300)}`);
  return answer.body;
}

/** How many accounts the page lists. */
async function rowsOf(prepared: Prepared, path: string): Promise<number> {
  return (await fetchOk(prepared, path)).match(/<th scope="row"/g)?.length ?? 0;
}

/**
 * The first page and the deep page of one list, request by request in turns on one keep-alive connection (warm-up
 * the same way, discarded). Why in turns: on a shared machine a neighbour's burst lands on both alike.
 */
async function compareDepths(prepared: Prepared, list: ListCase): Promise<[LatencyResult, LatencyResult]> {
  await announce(`GET /admin/accounts (${list.what}), first page vs after ${formatCount(prepared.deepIndex)} accounts, alternating`,
    2 * TIMING.warmupSeconds, 2 * TIMING.durationSeconds);
  const side = (path: string) => ({ base: prepared.server.url, pid: prepared.server.pid, probe: () => consoleProbe(prepared, path) });
  const sides = [side(firstPath(list)), side(deepPath(list, prepared.deepCursor))];
  const warmup = await alternateRequests(sides, CONNECTIONS, 2 * TIMING.warmupSeconds);
  const [first, deep] = await alternateRequests(sides, CONNECTIONS, 2 * TIMING.durationSeconds);
  return [summarizeLoop(first!, warmup[0]!.failures), summarizeLoop(deep!, warmup[1]!.failures)];
}

/** A target per list: the deep page's p50 over the first page's, at most 1.2. */
function report(prepared: Prepared, results: Record<string, [LatencyResult, LatencyResult]>, rows: Record<string, [number, number]>): Measured {
  const total = formatCount(prepared.accounts);
  const targets: Target[] = CASES.map((list) => {
    const [first, deep] = results[list.key]!;
    return ratioTarget({
      id: `console-accounts-depth-${list.key}`,
      name: `GET /admin/accounts (${list.what}) after ${formatCount(prepared.deepIndex)} vs first page p50, ${total} accounts`,
      measured: latencyCell(deep), baseline: latencyCell(first), target: 1.2, direction: 'atMost',
    }, deep.p50Ms, first.p50Ms);
  });
  const runs = Object.fromEntries(CASES.flatMap((list) => {
    const [first, deep] = results[list.key]!;
    return [[`console-accounts-${list.key}-first`, first], [`console-accounts-${list.key}-deep`, deep]];
  }));
  const { factors, seed } = prepared;
  return {
    targets,
    runs,
    notes: [
      `Console account list: PostgreSQL, ${total} accounts with people-like names (first.last<k>@domain) + ${formatCount(seed.sessions)} sessions seeded in ` +
        `${seed.seconds.toFixed(1)} s (${formatSteps(seed.steps)}); second factors: ${formatCount(factors.totp)} confirmed TOTP, ` +
        `${formatCount(factors.passkeys)} passkeys, ${formatCount(factors.holders)} accounts with either, ${formatCount(factors.unconfirmedTotp)} TOTP set-ups never confirmed (none).`,
      `GET /admin/accounts as the bootstrap sysadmin signed in through /admin/sign-in (cookie session), HTML, ${CONSOLE_PAGE} rows a page; ` +
        `the deep page is the list after the cursor of the account ${formatCount(prepared.deepIndex)} places in (GET /accounts' own next link), ` +
        `the same cursor under every filter. First and deep page alternating request by request on ${CONNECTIONS} keep-alive connection. ` +
        `Rows (first / deep): ${CASES.map((list) => `${list.key} ${rows[list.key]!.join('/')}`).join(', ')}. ` +
        'Both sides are the same server process, so each run\'s serverCpuCores is that process over the whole alternating run.',
    ],
  };
}

async function standalone(): Promise<void> {
  installCleanup();
  const measured = await measureAdminAccounts();
  const text = `${JSON.stringify({ date: new Date().toISOString(), settings: { ...TIMING, accounts: accountCount() }, ...measured }, null, 2)}\n`;
  writeAtomically(RESULTS_FILE, text);
  process.stdout.write(text);
}

// `--standalone` runs this bench alone; importing this module (bench/run.ts) runs nothing.
if (isEntry(import.meta.url) && process.argv.includes('--standalone')) runMain('console accounts bench', standalone);
