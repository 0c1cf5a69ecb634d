/**
 * better-auth 1.7.25 set up the way its docs tell a new user to: `betterAuth({ database: new Database(file),
 * emailAndPassword: { enabled: true }, secret, baseURL })`, served by `toNodeHandler` on plain node:http.
 * Why: the comparison in bench/scenarios/better-auth.ts (issue 7) must measure better-auth as people actually run it.
 *
 * Run: `node bench/better-auth/server.mjs [--port N] [--db FILE] [--hash scrypt|argon2id] [--cookie-cache]
 * [--argon2-memory KiB --argon2-time N --argon2-parallelism N] [--exit-with-parent]`; prints `READY <port>`.
 * Plain JS with its own package.json so it runs on better-auth's own dependency tree, not Gatehouse's.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { hash, verify } from '@node-rs/argon2';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { toNodeHandler } from 'better-auth/node';
import Database from 'better-sqlite3';

// `Algorithm` is a const enum in @node-rs/argon2's typings and `{}` at runtime; 2 is Argon2id.
const ARGON2ID = 2;
/** Longest a close may take before the process exits anyway. */
const CLOSE_GRACE_MS = 5_000;

/** Reads the options; `strict: false` because the harness may pass flags meant for other bench children. */
function readArgs() {
  const { values } = parseArgs({
    strict: false,
    options: {
      port: { type: 'string' },
      db: { type: 'string' },
      hash: { type: 'string' },
      'cookie-cache': { type: 'boolean' },
      'argon2-memory': { type: 'string' },
      'argon2-time': { type: 'string' },
      'argon2-parallelism': { type: 'string' },
      'exit-with-parent': { type: 'boolean' },
    },
  });
  const hashName = values.hash ?? 'scrypt';
  if (hashName !== 'scrypt' && hashName !== 'argon2id') throw new Error(`--hash must be scrypt or argon2id, not ${hashName}`);
  const port = Number(values.port ?? process.env.PORT ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad --port ${values.port}`);
  return {
    port,
    db: typeof values.db === 'string' ? values.db : undefined,
    hash: hashName,
    cookieCache: values['cookie-cache'] === true,
    // Defaults are Gatehouse's production cost (bench/lib/params.ts PRODUCTION_HASH); the harness passes them explicitly.
    argon2: {
      memoryCost: Number(values['argon2-memory'] ?? 19456),
      timeCost: Number(values['argon2-time'] ?? 2),
      parallelism: Number(values['argon2-parallelism'] ?? 1),
      algorithm: ARGON2ID,
    },
    exitWithParent: values['exit-with-parent'] === true,
  };
}

/** better-auth's documented hook for a custom password hash; why: the sign-in comparison needs equal argon2id cost. */
function argon2Password(options) {
  return {
    hash: (password) => hash(password, options),
    verify: ({ hash: stored, password }) => verify(stored, password),
  };
}

/** The options a new user writes, plus only what the benchmark needs (listed in the comments). */
function authOptions(args, database, baseURL) {
  return {
    database,
    baseURL,
    // A fresh secret per process: sessions only need to survive this one run.
    secret: randomBytes(32).toString('base64url'),
    emailAndPassword: {
      enabled: true,
      ...(args.hash === 'argon2id' ? { password: argon2Password(args.argon2) } : {}),
    },
    // All load comes from 127.0.0.1; the limiter (on by default when NODE_ENV=production) would answer 429s.
    rateLimit: { enabled: false },
    ...(args.cookieCache ? { session: { cookieCache: { enabled: true, maxAge: 300 } } } : {}),
  };
}

/** A temp dir deleted however this process exits; why: the harness may be gone (SIGKILL) by then. */
function ownTempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'better-auth-bench-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Closes server and database on SIGINT/SIGTERM or when the harness's stdin pipe closes. */
function stopOnSignals(server, database, exitWithParent) {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), CLOSE_GRACE_MS).unref();
    server.closeAllConnections();
    server.close(() => {
      database.close();
      process.exit(0);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (exitWithParent) process.stdin.once('end', stop).resume();
}

async function main() {
  const args = readArgs();
  const database = new Database(args.db ?? join(ownTempDir(), 'better-auth.db'));
  let handler = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handler(req, res));
  // Listen first: with --port 0 the port, hence baseURL, is only known afterwards; nothing is sent before READY.
  await new Promise((resolve) => server.listen(args.port, '127.0.0.1', resolve));
  const { port } = server.address();
  const auth = betterAuth(authOptions(args, database, `http://127.0.0.1:${port}`));
  // What `npx @better-auth/cli migrate` would do, done in-process so each run starts on a fresh schema.
  const { runMigrations } = await getMigrations(auth.options);
  await runMigrations();
  handler = toNodeHandler(auth);
  stopOnSignals(server, database, args.exitWithParent);
  process.stdout.write(`READY ${port}\n`);
}

await main();
