/**
 * `gatehouse admin create` and `gatehouse admin set-password` (CONTRACT §1). Rules live in accounts/; this file
 * reads flags and the password, opens what the rules need, and reports.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { findAccountByLogin, ensureBuiltinGroups, insertAccount, loginKey, setRoles, storePasswordHash } from '../accounts/account.repository.js';
import { setPasswordAsOperator, operatorPasswordProblem } from '../accounts/admin-password.js';
import { acceptableUsername, normalizeUsername, usernameProblem } from '../accounts/usernames.js';
import { cryptoRandom, systemClock } from '../clock.js';
import type { Config } from '../config/index.js';
import { createMailer } from '../email/mailer.js';
import { AppError } from '../http/errors.js';
import { createPasswordHasher } from '../passwords/hasher.js';
import { compilePolicy } from '../passwords/policy.js';
import { createServices } from '../services.js';
import { openMigrated } from './database.js';
import { CliError } from './errors.js';
import { readNewPassword, willPrompt } from './password-input.js';

/** `--config` is read by the entry point but stays in the arguments, so every command accepts it. */
const common = { config: { type: 'string', short: 'c' } } as const satisfies ParseArgsConfig['options'];

/** What to do when stdin was empty, for `command`. */
const noPassword = (command: string) => `no password given: pipe it on stdin (printf '%s' "$PASSWORD" | npx gatehouse ${command} …) or run the command in a terminal to be asked for it`;

/** `admin create --username NAME --email ADDRESS [--role sysadmin|admin]`: another administrator without the API; the password policy applies. */
export async function adminCreate(config: Config, args: string[]): Promise<number> {
  const { values } = parse('admin create', args, { ...common, username: { type: 'string' }, email: { type: 'string' }, role: { type: 'string', default: 'sysadmin' } });
  const problems = createFlagProblems(values);
  // Flags first: nobody should type a password twice to learn that --email is missing.
  if (problems.length && willPrompt()) return fail('admin create', problems);
  const password = await readNewPassword();
  if (password === '') problems.push(`password: ${noPassword('admin create')}`);
  else problems.push(...compilePolicy(config.password.policy)(password).map((v) => `password: ${v.message}`));
  if (problems.length) return fail('admin create', problems);
  const username = normalizeUsername(values.username!);
  const email = values.email!;
  const { database } = await openMigrated(config);
  try {
    const now = systemClock.now();
    await ensureBuiltinGroups(database.db, now);
    if (await findAccountByLogin(database.db, username) ?? await findAccountByLogin(database.db, email)) {
      return fail('admin create', ['an account with this username or e-mail exists']);
    }
    const lookAlike = await acceptableUsername(database.db, username, email).then(() => null, (error: Error) => error.message);
    if (lookAlike) return fail('admin create', [`--${lookAlike}`]);
    const id = cryptoRandom.uuid();
    await insertAccount(database.db, {
      id, username, username_key: loginKey(username), email, email_key: loginKey(email),
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

function createFlagProblems(values: { username?: string | undefined; email?: string | undefined; role?: string | undefined }): string[] {
  const problems: string[] = [];
  if (!values.username) problems.push('--username: is required');
  const usernameIssue = values.username ? usernameProblem(normalizeUsername(values.username), values.email ?? null) : null;
  if (usernameIssue) problems.push(`--username: ${usernameIssue}`);
  if (!values.email || !/^[^@\s]+@[^@\s]+$/.test(values.email)) problems.push('--email: must be an e-mail address');
  if (values.role !== 'admin' && values.role !== 'sysadmin') problems.push('--role: must be admin or sysadmin');
  return problems;
}

/**
 * `admin set-password [--username NAME]`: the account defaults to `admin.username`; the bootstrap's rule applies
 * (8 characters or more), every session of the account ends. See accounts/admin-password.ts.
 */
export async function adminSetPassword(config: Config, args: string[]): Promise<number> {
  const { values } = parse('admin set-password', args, { ...common, username: { type: 'string' } });
  const login = values.username ?? config.admin.username;
  const password = await readNewPassword();
  if (password === '') throw new CliError(`admin set-password: ${noPassword('admin set-password')}`);
  const problem = operatorPasswordProblem(password);
  if (problem) throw new CliError(`admin set-password: password ${problem}`);
  const { database } = await openMigrated(config);
  const mailer = createMailer({ ...config.email, logger: { info: () => undefined, warn: () => undefined } });
  try {
    const services = await createServices(config, {
      database, mailer, clock: systemClock, random: cryptoRandom,
      logError: (error, message) => process.stderr.write(`${message}: ${String(error)}\n`),
    });
    try {
      const result = await setPasswordAsOperator({ ...services, db: database.db }, login, password);
      const ended = result.sessionsEnded === 1 ? '1 session' : `${result.sessionsEnded} sessions`;
      process.stdout.write(`password set for ${result.username} (${result.accountId}); ${ended} ended\n`);
      return 0;
    } catch (error) {
      if (error instanceof AppError) throw new CliError(`admin set-password: ${error.message}`);
      throw error;
    } finally {
      await services.bus.close();
    }
  } finally {
    await mailer.close();
    await database.close();
  }
}

/** Strict flags: a typo is an error that says which flag, with exit code 2 as for an unknown command. */
function parse<O extends NonNullable<ParseArgsConfig['options']>>(command: string, args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new CliError(`${command}: ${(error as Error).message.split('\n')[0]} (see \`gatehouse ${command} --help\`)`, 2);
  }
}

function fail(command: string, problems: string[]): number {
  process.stderr.write(`gatehouse ${command}:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
  return 1;
}
