/**
 * The command line (CONTRACT §1): finds the command, prints usage when asked (or when no command is given), loads
 * the configuration once and runs the command. Why apart from src/cli.ts: the entry must load the Node.js version
 * check before anything else, and the commands can be imported by tests without running one.
 */
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { apikeyCreate } from '../accounts/apikey.cli.js';
import { clientAdd, clientList, clientRemove, clientSecret } from '../clients/client.cli.js';
import { ConfigError, loadConfig, maskSecrets, type Config } from '../config/index.js';
import { keysRotate } from '../tokens/keys.cli.js';
import { adminCreate, adminSetPassword } from './admin.js';
import { databaseError, isUnreachableDatabase, openMigrated } from './database.js';
import { CliError } from './errors.js';
import { serve } from './serve.js';
import { COMMAND_HELP, commandUsage, overview } from './usage.js';

type Command = (config: Config, args: string[]) => Promise<number>;

const commands: Record<string, Command> = {
  serve,
  migrate,
  'config check': async (config) => {
    process.stdout.write(stringify(maskSecrets(config)));
    return 0;
  },
  'admin create': adminCreate,
  'admin set-password': adminSetPassword,
  'apikey create': apikeyCreate,
  'keys rotate': keysRotate,
  'client add': clientAdd,
  'client list': clientList,
  'client remove': clientRemove,
  'client secret': clientSecret,
};

/** Runs the command line `argv` (without `node` and the script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: false });
  // CONTRACT §1: `help` is a command beside `--help` / `-h`, and no command prints usage (it used to start a server).
  if (positionals.length === 0) return printed(overview());
  if (positionals[0] === 'help') return positionals.length === 1 ? printed(overview()) : helpFor(positionals.slice(1, 3));
  const name = commandName(positionals);
  if (values.help) return helpFor(name ? name.split(' ') : positionals.slice(0, 2));
  const command = name ? commands[name] : undefined;
  if (!command) return unknownCommand(positionals);
  let config: Config;
  try {
    config = loadConfig({ file: typeof values.config === 'string' ? values.config : undefined, env: process.env });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`gatehouse: invalid configuration\n${error.problems.map((p) => `  ${p}`).join('\n')}\n`);
    return 1;
  }
  return command(config, commandArguments(argv, name!.split(' '))).catch((error: unknown) => {
    throw isUnreachableDatabase(error) ? databaseError(config, error) : error;
  });
}

/** The command the first one or two words name, or undefined. */
function commandName(positionals: readonly string[]): string | undefined {
  const [first, second] = positionals;
  if (second !== undefined && commands[`${first} ${second}`]) return `${first} ${second}`;
  return first !== undefined && commands[first] ? first : undefined;
}

function printed(text: string): number {
  process.stdout.write(text);
  return 0;
}

/** A command's (or a group's: `admin`, `client`) own usage; an unknown name is exit code 2. */
function helpFor(words: readonly string[]): number {
  const usage = commandUsage(words) ?? commandUsage(words.slice(0, 1));
  return usage ? printed(usage) : unknownCommand(words);
}

/** A group without its subcommand (`gatehouse admin`) lists the group's commands; anything else the overview. */
function unknownCommand(positionals: readonly string[]): number {
  const subcommands = COMMAND_HELP.filter((help) => help.name.startsWith(`${positionals[0]} `)).map((help) => help.name.split(' ')[1]!);
  const problem = subcommands.length && positionals.length === 1
    ? `"${positionals[0]}" needs a subcommand: ${subcommands.join(', ')}`
    : `unknown command "${positionals.join(' ')}"`;
  process.stderr.write(`gatehouse: ${problem}\n\n${subcommands.length ? commandUsage(positionals.slice(0, 1)) : overview()}`);
  return 2;
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

async function migrate(config: Config): Promise<number> {
  const { database, applied } = await openMigrated(config);
  try {
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
    return 0;
  } finally {
    await database.close();
  }
}

/** What the entry prints for a failed command: one line for a CliError, the stack for a bug (which needs it). */
export function failureMessage(error: unknown): { text: string; exitCode: number } {
  if (error instanceof CliError) return { text: `gatehouse: ${error.message}\n`, exitCode: error.exitCode };
  return { text: `gatehouse: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`, exitCode: 1 };
}
