/**
 * Fills a PostgreSQL database with a realistic Gatehouse install of a given size, for the scale bench (issue 7).
 * Run: `node --import tsx bench/lib/seed.ts --database-url postgres://… [--schema NAME] --accounts N --sessions M`.
 * Migrates first (idempotent), then seeds with a handful of set-based statements (`insert … select … from
 * generate_series`), VACUUM ANALYZEs, and prints `SEEDED {json}` with the row counts and the time it took.
 *
 * What a seeded install holds: N confirmed `user` accounts `user<n>@example.com` (or, with `names: 'people'`, names like
 * `maria.garcia12@example.net`; oldest first), each with a password
 * credential (one shared argon2id hash of {@link SEED_PASSWORD} at production cost, so a login still does one full
 * verify), M live password sessions spread at random over the accounts with one refresh token each, the audit events
 * registration and login would have written, and the bootstrap admin (`admin`, sysadmin role, same password).
 * Refresh token `j` (1 ≤ j ≤ M) is {@link seededRefreshToken}`(j)`, so a bench can turn seeded sessions into access tokens.
 * Seed a schema once: a second run collides with the first's unique names and rolls back, leaving it unchanged.
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { hash, type Algorithm } from '@node-rs/argon2';
import pg from 'pg';
import { migrateToLatest, openDatabase } from '../../src/db/database.js';
import { BENCH_USER, PRODUCTION_HASH } from './params.js';
import { isEntry, runMain } from './processes.js';

/** Every seeded account's password (and the admin's); why: the bench logs in as any of them. */
export const SEED_PASSWORD = BENCH_USER.password;

/** The bootstrap admin the seed creates, as `bootstrapAdmin` would with `GATEHOUSE_ADMIN_PASSWORD` set. */
export const SEED_ADMIN = { username: 'admin', password: SEED_PASSWORD } as const;

/** The refresh-token lifetime of a default install (`tokens.refreshTokenTtl`, 30 days): seeded sessions end within it. */
const SESSION_TTL_MS = 30 * 86_400_000;
/** Accounts were created over the three years before the newest session window. */
const ACCOUNT_HISTORY_MS = 3 * 365 * 86_400_000;
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'okhttp/4.12.0',
];

/** Size of a seeded install. */
export interface SeedOptions {
  databaseUrl: string;
  accounts: number;
  sessions: number;
  /**
   * How the accounts are named: `numbered` (default) `user<n>@example.com`, which the login scenarios sign in with;
   * `people` `<first>.<last><k>@<domain>` ({@link personEmail}), so a prefix search meets the spread of real names.
   */
  names?: 'numbered' | 'people';
}

/** What a seeding run did, for the report. */
export interface SeedResult {
  accounts: number;
  sessions: number;
  seconds: number;
  /** Seconds per step, to see which one dominates at scale. */
  steps: Record<string, number>;
}

/** The login e-mail (and user name) of seeded account `n` (1 ≤ n ≤ accounts); why: the bench logs in by it. */
export function seededEmail(n: number): string {
  return `user${n}@example.com`;
}

const FIRST_NAMES = ['anna', 'ben', 'clara', 'david', 'emma', 'felix', 'greta', 'hannah', 'ivan', 'julia', 'karl', 'lena', 'maria', 'noah',
  'olga', 'paul', 'quinn', 'rosa', 'sami', 'tom', 'ute', 'victor', 'wei', 'xenia', 'yusuf', 'zoe', 'aisha', 'bruno', 'chen', 'diego', 'elif',
  'fatima', 'gabriel', 'hiro', 'ines', 'jonas', 'kemal', 'lucia', 'mohammed', 'nina'];
const LAST_NAMES = ['smith', 'mueller', 'garcia', 'nguyen', 'kowalski', 'rossi', 'schmidt', 'silva', 'yilmaz', 'tanaka', 'johnson', 'martin',
  'weber', 'fischer', 'lopez', 'kim', 'novak', 'horvat', 'jensen', 'dubois', 'brown', 'wagner', 'becker', 'hoffmann', 'schulz', 'koch', 'richter',
  'klein', 'wolf', 'neumann', 'schwarz', 'zimmermann', 'braun', 'krueger', 'hartmann', 'lange', 'werner', 'krause', 'meier', 'lehmann', 'huber',
  'kaiser', 'fuchs', 'peters', 'scholz', 'moeller', 'keller', 'vogel', 'frank', 'berger'];
const DOMAINS = ['example.com', 'mail.example.org', 'example.net', 'uni.example.edu', 'corp.example.com', 'example.de', 'post.example.at'];

/**
 * The e-mail (and user name) of account `n` under `names: 'people'`: first name by `n % 40`, last name by
 * `(n / 40) % 50`, and `n / 2000` to tell the 2,000 combinations apart — the same formula as the seeding SQL.
 */
export function personEmail(n: number): string {
  return `${FIRST_NAMES[n % FIRST_NAMES.length]}.${LAST_NAMES[Math.floor(n / FIRST_NAMES.length) % LAST_NAMES.length]}${Math.floor(n / (FIRST_NAMES.length * LAST_NAMES.length))}@${DOMAINS[n % DOMAINS.length]}`;
}

/** The SQL of the login name of account `a.n`, with the name lists as `$1`–`$3` for `people`. */
function loginNameSql(names: SeedOptions['names']): [string, unknown[]] {
  if (names !== 'people') return [`'user' || a.n || '@example.com'`, []];
  const [first, last] = [FIRST_NAMES.length, LAST_NAMES.length];
  return [`($1::text[])[1 + a.n % ${first}] || '.' || ($2::text[])[1 + (a.n / ${first}) % ${last}] || (a.n / ${first * last}) || '@' || ($3::text[])[1 + a.n % ${DOMAINS.length}]`,
    [FIRST_NAMES, LAST_NAMES, DOMAINS]];
}

/**
 * The refresh token of seeded session `j`, derived from `j` the same way the SQL below derives its stored id and hash.
 * Why: the bench needs access tokens for many distinct sessions without an argon2 login each.
 */
export function seededRefreshToken(j: number): string {
  const id = createHash('sha256').update(`bench-refresh-id:${j}`).digest().subarray(0, 16).toString('base64url');
  const secret = createHash('sha256').update(`bench-refresh-secret:${j}`).digest('base64url');
  return `${id}.${secret}`;
}

/** A URL whose connections use `schema`; why: one schema per run keeps bench data apart and easy to drop (as the tests do). */
export function schemaUrl(baseUrl: string, schema: string): string {
  return `${baseUrl}${baseUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

/** Runs one statement on a fresh connection; why: schema DDL must not run on a connection bound to that schema. */
export async function adminQuery(baseUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Creates `schema` (empty) and returns the URL to use it. */
export async function createSchema(baseUrl: string, schema: string): Promise<string> {
  assertIdentifier(schema);
  await adminQuery(baseUrl, `create schema ${schema}`);
  return schemaUrl(baseUrl, schema);
}

/** Drops a bench schema and everything in it. */
export async function dropSchema(baseUrl: string, schema: string): Promise<void> {
  assertIdentifier(schema);
  await adminQuery(baseUrl, `drop schema if exists ${schema} cascade`);
}

function assertIdentifier(name: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`bad schema name ${name}`);
}

/** Migrates (as Gatehouse would at start), then seeds; see the file comment. */
export async function seedDatabase(options: SeedOptions): Promise<SeedResult> {
  const started = performance.now();
  const steps: Record<string, number> = {};
  const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const result = await work();
    steps[name] = (performance.now() - t0) / 1000;
    return result;
  };
  await step('migrate', () => migrate(options.databaseUrl));
  // 2 is argon2id: `Algorithm` is a const enum in the typings and `{}` at runtime (see src/passwords/hasher.ts).
  const passwordHash = await step('hash', () => hash(SEED_PASSWORD, { ...PRODUCTION_HASH, algorithm: 2 as Algorithm }));
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    await fastSession(client);
    // One transaction: a failed run leaves the schema as it was, dropped indexes included.
    await client.query('begin');
    const now = Date.now();
    const rebuild = await step('drop secondary indexes', () => dropSecondaryIndexes(client));
    for (const [name, text, values] of seedStatements(options, passwordHash, now)) await step(name, () => client.query(text, values));
    await step('rebuild secondary indexes', async () => {
      for (const definition of rebuild) await client.query(definition);
    });
    await step('commit', () => client.query('commit'));
    // VACUUM as well as ANALYZE: sets the visibility map as autovacuum eventually would on a live install, and
    // keeps autovacuum from starting on these tables in the middle of a measurement.
    await step('vacuum analyze', () => client.query('vacuum (analyze) accounts, credentials, sessions, refresh_tokens, audit_events, memberships, groups'));
    // Writes the loaded pages out now rather than in a checkpoint during the first measurement.
    await step('checkpoint', () => client.query('checkpoint'));
  } finally {
    await client.end();
  }
  return { accounts: options.accounts, sessions: options.sessions, seconds: (performance.now() - started) / 1000, steps };
}

async function migrate(url: string): Promise<void> {
  const database = openDatabase(url);
  try {
    await migrateToLatest(database.db);
  } finally {
    await database.close();
  }
}

/** Settings for this bulk-loading connection only; why: a throwaway bench schema needs no per-commit fsync. */
async function fastSession(client: pg.Client): Promise<void> {
  await client.query(`set synchronous_commit = off`);
  await client.query(`set work_mem = '256MB'`);
  await client.query(`set maintenance_work_mem = '512MB'`);
  // No per-row foreign-key triggers (as pg_restore loads data): every reference is built from the plan tables.
  await client.query(`set session_replication_role = replica`);
  // base64url without padding, as Node's digest('base64url'); 16- and 32-byte inputs stay under base64's 76-char line break.
  await client.query(`create function pg_temp.b64url(bytes bytea) returns text language sql immutable
    as $$ select rtrim(translate(encode(bytes, 'base64'), '+/', '-_'), '=') $$`);
}

/** The tables the seed fills in bulk. */
const SEEDED_TABLES = ['accounts', 'credentials', 'sessions', 'refresh_tokens', 'audit_events'];

/**
 * Drops the seeded tables' indexes that back no constraint and returns their exact definitions to run afterwards.
 * Why: building an index once by sorting is several times faster than a million random insertions into it, and
 * recreating it from `pg_indexes.indexdef` leaves the schema exactly as the migrations made it.
 */
async function dropSecondaryIndexes(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ name: string; definition: string }>(`
    select quote_ident(i.schemaname) || '.' || quote_ident(i.indexname) as name, i.indexdef as definition
    from pg_indexes i
    where i.schemaname = current_schema() and i.tablename = any($1)
      and not exists (select 1 from pg_constraint c where c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)`,
  [SEEDED_TABLES]);
  for (const { name } of rows) await client.query(`drop index ${name}`);
  return rows.map((row) => row.definition);
}

type Statement = [name: string, text: string, values: unknown[]];

/** The seeding SQL, in order: plans in temp tables first, so every table is filled by one set-based insert. */
function seedStatements(options: SeedOptions, passwordHash: string, now: number): Statement[] {
  const firstCreated = now - SESSION_TTL_MS - ACCOUNT_HISTORY_MS;
  const createdStep = Math.floor(ACCOUNT_HISTORY_MS / options.accounts);
  const [loginName, nameLists] = loginNameSql(options.names);
  return [
    ['admin', ...adminStatement(passwordHash, firstCreated)],
    ['plan accounts', `create temp table seed_accounts as
      select n, gen_random_uuid()::text as id, $2::bigint + n * $3::bigint as created_at from generate_series(1, $1::int) as n`,
    [options.accounts, firstCreated, createdStep]],
    // Each session picks an account at random: most accounts have zero to three sessions, as with real users.
    // Logins spread over the last 29 days, so every session still has a day to live when the bench uses it.
    ['plan sessions', `create temp table seed_sessions as
      select j, gen_random_uuid()::text as id, 1 + floor(random() * $2::int)::int as n,
             $3::bigint - floor(random() * $4::bigint)::bigint as login_time
      from generate_series(1, $1::int) as j`,
    [options.sessions, options.accounts, now - 60_000, SESSION_TTL_MS - 86_400_000]],
    ['accounts', `insert into accounts (id, username, username_key, email, email_key, pending_email, type, confirmed, language, created_at, last_login_at)
      select a.id, name, name, name, name, null, 'user', 1, case when a.n % 7 = 0 then 'de' end, a.created_at, l.last_login
      from seed_accounts a cross join lateral (select ${loginName} as name) as login
        left join (select n, max(login_time) as last_login from seed_sessions group by n) l on l.n = a.n
      order by a.created_at`, nameLists],
    ['credentials', `insert into credentials (id, account_id, type, secret_hash, external_id, created_at, updated_at)
      select gen_random_uuid()::text as id, id, 'password', $1, null, created_at, created_at from seed_accounts order by 1`, [passwordHash]],
    ['sessions', `insert into sessions (id, account_id, method, client_id, scope, secret_hash, login_time, expires_at, last_access, inet_address, user_agent, revoked_at)
      select s.id, a.id, 'password', null, null, null, s.login_time, s.login_time + $1::bigint,
             s.login_time + floor(random() * ($2::bigint - s.login_time))::bigint,
             '10.' || (s.j >> 16) % 256 || '.' || (s.j >> 8) % 256 || '.' || s.j % 256, ($3::text[])[1 + s.j % 4], null
      from seed_sessions s join seed_accounts a on a.n = s.n order by s.id`,
    [SESSION_TTL_MS, now, USER_AGENTS]],
    // The same derivation as seededRefreshToken(j): id = 16 bytes of one SHA-256, secret = another, stored as SHA-256(secret).
    ['refresh tokens', `insert into refresh_tokens (id, session_id, secret_hash, created_at, expires_at, rotated_at)
      select pg_temp.b64url(substring(sha256(convert_to('bench-refresh-id:' || j, 'UTF8')) from 1 for 16)), id,
             pg_temp.b64url(sha256(convert_to(pg_temp.b64url(sha256(convert_to('bench-refresh-secret:' || j, 'UTF8'))), 'UTF8'))),
             login_time, login_time + $1::bigint, null
      from seed_sessions order by 1`, [SESSION_TTL_MS]],
    // What registration and each login wrote to the audit log, in time order as the bigserial ids would be.
    ['audit events', `insert into audit_events (at, type, account_id, session_id, login_name, inet_address, data)
      select at, type, account_id, session_id, login_name, inet_address, data from (
        select created_at as at, 'account.registered' as type, id as account_id, null as session_id, username as login_name, null as inet_address, null as data from accounts where username_key <> 'admin'
        union all
        select login_time, 'login.succeeded', account_id, id, null, inet_address, '{"method":"password"}' from sessions
      ) as events order by at`, []],
  ];
}

/**
 * The admin exactly as `bootstrapAdmin` makes it on first start with a password (built-in groups, sysadmin role,
 * password credential), created only where missing; why: the server started on this schema may have made it already.
 */
function adminStatement(passwordHash: string, createdAt: number): [string, unknown[]] {
  return [`with groups_ as (
      insert into groups (id, name, builtin, created_at) values ('admin', 'admin', 1, $2), ('sysadmin', 'sysadmin', 1, $2) on conflict do nothing
    ), admin_ as (
      insert into accounts (id, username, username_key, email, email_key, pending_email, type, confirmed, language, created_at, last_login_at)
      select gen_random_uuid()::text, 'admin', 'admin', 'admin@localhost', 'admin@localhost', null, 'user', 1, null, $2, null
      where not exists (select 1 from accounts where username_key = 'admin') returning id
    ), the_admin as (
      select id from admin_ union all select id from accounts where username_key = 'admin'
    ), role_ as (
      insert into memberships (group_id, account_id) select 'sysadmin', id from the_admin on conflict do nothing
    )
    insert into credentials (id, account_id, type, secret_hash, external_id, created_at, updated_at)
    select gen_random_uuid()::text, id, 'password', $1, null, $2, $2 from the_admin t
    where not exists (select 1 from credentials c where c.account_id = t.id and c.type = 'password')`, [passwordHash, createdAt]];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { 'database-url': { type: 'string' }, schema: { type: 'string' }, accounts: { type: 'string' }, sessions: { type: 'string' } },
  });
  const base = values['database-url'];
  const accounts = Number(values.accounts);
  const sessions = Number(values.sessions ?? values.accounts);
  if (!base || !Number.isInteger(accounts) || accounts < 1 || !Number.isInteger(sessions) || sessions < 0) {
    throw new Error('usage: bench/lib/seed.ts --database-url postgres://… [--schema NAME] --accounts N [--sessions M]');
  }
  const databaseUrl = values.schema ? await createSchema(base, values.schema) : base;
  const result = await seedDatabase({ databaseUrl, accounts, sessions });
  process.stderr.write(`seed: ${accounts} accounts, ${sessions} sessions in ${result.seconds.toFixed(1)} s (${formatSteps(result.steps)})\n`);
  process.stdout.write(`SEEDED ${JSON.stringify({ ...result, databaseUrl })}\n`);
}

/** `accounts 3.1 s, sessions 4.0 s, …` */
export function formatSteps(steps: Record<string, number>): string {
  return Object.entries(steps).map(([name, seconds]) => `${name} ${seconds.toFixed(1)} s`).join(', ');
}

// Seeds when run as a script, not when the scale bench imports the helpers above.
if (isEntry(import.meta.url)) runMain('seed', main);
