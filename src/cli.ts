// First: on too old a Node.js, one line saying what to install, before anything else loads.
import './runtime-check.js';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { createApp } from './app.js';
import { apikeyCreate } from './accounts/apikey.cli.js';
import { keysRotate } from './tokens/keys.cli.js';
import { findAccountByLogin, setRoles, storePasswordHash } from './accounts/account.repository.js';
import { clientAdd, clientList, clientRemove } from './clients/client.cli.js';
import { systemClock, cryptoRandom } from './clock.js';
import { ConfigError, loadConfig, maskSecrets, type Config } from './config/index.js';
import { migrateToLatest, openDatabase } from './db/database.js';
import { createPasswordHasher } from './passwords/hasher.js';
import { compilePolicy } from './passwords/policy.js';
import { ensureBuiltinGroups, insertAccount, loginKey } from './accounts/account.repository.js';
import { acceptableUsername, normalizeUsername, usernameProblem } from './accounts/usernames.js';
import { yieldBackgroundThreads } from './util/thread-priority.js';

const usage = `Usage: gatehouse <command> [--config FILE]

Commands:
  serve                 start the server (default)
  migrate               apply pending database migrations
  config check          print the effective configuration, secrets masked
  admin create --username NAME --email ADDRESS [--role sysadmin|admin]
                        create an administrator; the password is read from stdin
  apikey create         create an API key; prints {"jwt", "accountID"} once
  keys rotate           make a new signing key current; older keys keep verifying their tokens
  client add --id ID --callback URL [--token-method query,cookie,body] [--disable password,google,…]
                        register a client (tokens go only to exactly this callback URL)
  client list           list the registered clients
  client remove --id ID remove a client
  help                  print this text (also --help, -h)
`;

type Command = (config: Config, args: string[]) => Promise<number>;

/** How long a stopping node keeps serving before it closes (see `serve`). */
const SHUTDOWN_DRAIN_MS = 1000;

const commands: Record<string, Command> = {
  serve,
  migrate,
  'config check': async (config) => {
    process.stdout.write(stringify(maskSecrets(config)));
    return 0;
  },
  'admin create': adminCreate,
  'apikey create': apikeyCreate,
  'keys rotate': keysRotate,
  'client add': clientAdd,
  'client list': clientList,
  'client remove': clientRemove,
};

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: false });
  // CONTRACT §1 lists `help` as a command, beside `--help` / `-h`.
  if (values.help || positionals[0] === 'help') {
    process.stdout.write(usage);
    return 0;
  }
  const [first = 'serve', second] = positionals;
  const name = commands[`${first} ${second}`] ? `${first} ${second}` : first;
  const command = commands[name];
  if (!command) {
    process.stderr.write(`gatehouse: unknown command "${positionals.join(' ')}"\n\n${usage}`);
    return 2;
  }
  let config: Config;
  try {
    config = loadConfig({ file: typeof values.config === 'string' ? values.config : undefined, env: process.env });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`gatehouse: invalid configuration\n${error.problems.map((p) => `  ${p}`).join('\n')}\n`);
    return 1;
  }
  return command(config, commandArguments(argv, name.split(' ')));
}

/**
 * The arguments after the command words: each word is removed once, where it first appears, so an option value
 * that happens to equal a command word (`client add --id add`) survives; `--config FILE` is the CLI's own.
 */
function commandArguments(argv: string[], words: string[]): string[] {
  const rest = [...argv];
  for (const word of words) {
    const at = rest.indexOf(word);
    if (at !== -1) rest.splice(at, 1);
  }
  const config = rest.findIndex((arg) => arg === '--config' || arg === '-c');
  if (config !== -1) rest.splice(config, 2);
  return rest.filter((arg) => !arg.startsWith('--config='));
}

async function serve(config: Config): Promise<number> {
  const app = await createApp(config);
  if (config.https.disableVerification) app.log.warn('https.disableVerification is on: TLS certificates of identity providers are NOT checked (test setups only)');
  await app.listen({ host: config.server.host, port: config.server.port });
  const yielded = await yieldBackgroundThreads();
  app.log.debug({ threads: yielded.threadIds.length, niceness: yielded.niceness }, 'hashing, signing and GC threads run below the event loop');
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      app.log.info({ signal }, 'shutting down: draining, then finishing in-flight requests');
      // Drain first: /readyz fails so balancers move away, and connections already accepted get read. Closing at
      // once would make Node drop accepted connections whose request it had not read yet (they count as idle).
      app.services.lifecycle.draining = true;
      setTimeout(() => {
        // Fastify's close stops accepting, waits for in-flight requests, then runs onClose (database, mailer).
        app.close().then(resolve, resolve);
      }, SHUTDOWN_DRAIN_MS);
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  return 0;
}

async function migrate(config: Config): Promise<number> {
  const database = openDatabase(config.database.url);
  try {
    const applied = await migrateToLatest(database.db);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
    return 0;
  } finally {
    await database.close();
  }
}

async function adminCreate(config: Config, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { username: { type: 'string' }, email: { type: 'string' }, role: { type: 'string', default: 'sysadmin' } }, strict: true, allowPositionals: false });
  const password = (await readStdin()).replace(/\r?\n$/, '');
  const problems: string[] = [];
  if (!values.username) problems.push('--username: is required');
  const username = normalizeUsername(values.username ?? '');
  const usernameIssue = values.username ? usernameProblem(username, values.email ?? null) : null;
  if (usernameIssue) problems.push(`--username: ${usernameIssue}`);
  if (!values.email || !/^[^@\s]+@[^@\s]+$/.test(values.email)) problems.push('--email: must be an e-mail address');
  if (values.role !== 'admin' && values.role !== 'sysadmin') problems.push('--role: must be admin or sysadmin');
  problems.push(...compilePolicy(config.password.policy)(password).map((v) => `password: ${v.message}`));
  if (problems.length) {
    process.stderr.write(`gatehouse admin create:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
    return 1;
  }
  const database = openDatabase(config.database.url);
  try {
    await migrateToLatest(database.db);
    const now = systemClock.now();
    await ensureBuiltinGroups(database.db, now);
    if (await findAccountByLogin(database.db, username) ?? await findAccountByLogin(database.db, values.email!)) {
      process.stderr.write('gatehouse admin create: an account with this username or e-mail exists\n');
      return 1;
    }
    const lookAlike = await acceptableUsername(database.db, username, values.email!).then(() => null, (error: Error) => error.message);
    if (lookAlike) {
      process.stderr.write(`gatehouse admin create: --${lookAlike}\n`);
      return 1;
    }
    const id = cryptoRandom.uuid();
    await insertAccount(database.db, {
      id, username, username_key: loginKey(username), email: values.email!, email_key: loginKey(values.email!),
      pending_email: null, type: 'user', confirmed: 1, language: null, created_at: now, last_login_at: null,
    });
    await storePasswordHash(database.db, id, await createPasswordHasher(config.password.hash).hash(password), now, cryptoRandom.uuid());
    await setRoles(database.db, id, [values.role!]);
    process.stdout.write(`created ${values.role} ${username} (${id})\n`);
    return 0;
  } finally {
    await database.close();
  }
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`gatehouse: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
