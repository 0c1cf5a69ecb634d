import { parseArgs, type ParseArgsConfig } from 'node:util';
import { systemClock } from '../clock.js';
import type { Config } from '../config/index.js';
import { migrateToLatest, openDatabase, type Database } from '../db/database.js';
import { deleteClient, insertClient, listClients, seedClients, type Client } from './client.repository.js';
import { checkClient } from './client.service.js';

/*
 * `gatehouse client add|list|remove` (CONTRACT §1). The same rules as `POST /clients` (client.service.ts), without
 * the HTTP layer: an operator with database access needs no token. Like `npm start`, each command first writes the
 * clients of the configuration file, so what it shows and changes is what a server started now would see.
 */

/** `--config` is read by the entry point but stays in the arguments, so every command accepts it. */
const common = { config: { type: 'string', short: 'c' } } as const satisfies ParseArgsConfig['options'];

/** `client add --id ID --callback URL [--name NAME] [--token-method query,cookie] [--disable password,google]`. */
export async function clientAdd(config: Config, args: string[]): Promise<number> {
  const parsed = parse('client add', args, { ...common, id: { type: 'string' }, callback: { type: 'string' }, name: { type: 'string' }, 'token-method': { type: 'string' }, disable: { type: 'string' } });
  if (!parsed) return 1;
  const { values } = parsed;
  const problems: string[] = [];
  if (values.id === undefined) problems.push('--id: is required');
  if (values.callback === undefined) problems.push('--callback: is required');
  const input = {
    clientID: values.id ?? '',
    callbackURL: values.callback ?? '',
    name: values.name,
    config: { tokenMethod: values['token-method'] === undefined ? undefined : list(values['token-method']), disableStrategies: list(values.disable ?? '') },
  };
  const { client, errors } = checkClient(input);
  const flag: Record<string, string> = { clientID: '--id', callbackURL: '--callback', name: '--name', 'config.tokenMethod': '--token-method', 'config.disableStrategies': '--disable' };
  // A missing flag is said once, not again as "must be …".
  problems.push(...errors.filter((e) => !problems.some((p) => p.startsWith(`${flag[e.field]}:`))).map((e) => `${flag[e.field] ?? e.field}: ${e.message}`));
  if (!client || problems.length) return fail('client add', problems);
  return withDatabase(config, async (database) => {
    if (!(await insertClient(database.db, client, systemClock.now()))) return fail('client add', [`--id: a client "${client.clientID}" already exists`]);
    process.stdout.write(`added client ${client.clientID} → ${client.callbackURL} (tokenMethod ${client.config.tokenMethod.join(',')}${client.config.disableStrategies.length ? `; disabled ${client.config.disableStrategies.join(',')}` : ''})\n`);
    return 0;
  });
}

/** `client list`: one row per client under a header, or "no clients". */
export async function clientList(config: Config, args: string[]): Promise<number> {
  if (!parse('client list', args, common)) return 1;
  return withDatabase(config, async (database) => {
    const clients: Client[] = [];
    for (let offset = 0; ; offset += 500) {
      const page = await listClients(database.db, { offset, limit: 500 });
      clients.push(...page.items);
      if (clients.length >= page.total || page.items.length === 0) break;
    }
    if (clients.length === 0) {
      process.stdout.write('no clients\n');
      return 0;
    }
    const configured = new Set(config.clients.map((c) => c.clientID));
    const rows = [
      ['CLIENT ID', 'CALLBACK URL', 'TOKEN METHOD', 'DISABLED', 'SOURCE'],
      ...clients.map((c) => [c.clientID, c.callbackURL, c.config.tokenMethod.join(','), c.config.disableStrategies.join(',') || '-', configured.has(c.clientID) ? 'config' : 'database']),
    ];
    process.stdout.write(table(rows));
    return 0;
  });
}

/** `client remove --id ID`. */
export async function clientRemove(config: Config, args: string[]): Promise<number> {
  const parsed = parse('client remove', args, { ...common, id: { type: 'string' } });
  if (!parsed) return 1;
  const id = parsed.values.id;
  if (id === undefined || id === '') return fail('client remove', ['--id: is required']);
  return withDatabase(config, async (database) => {
    if (!(await deleteClient(database.db, id))) return fail('client remove', [`--id: no client "${id}"`]);
    process.stdout.write(`removed client ${id}\n`);
    if (config.clients.some((c) => c.clientID === id)) {
      process.stderr.write(`gatehouse client remove: note: "${id}" is declared in the configuration (clients), so the next start registers it again; remove it there too\n`);
    }
    return 0;
  });
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(command: string, args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (error) {
    fail(command, [(error as Error).message]);
    return null;
  }
}

/** `a, b,,c` → `['a', 'b', 'c']`. */
function list(value: string): string[] {
  return value.split(',').map((item) => item.trim()).filter((item) => item !== '');
}

function fail(command: string, problems: string[]): number {
  process.stderr.write(`gatehouse ${command}:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
  return 1;
}

async function withDatabase(config: Config, work: (database: Database) => Promise<number>): Promise<number> {
  const database = openDatabase(config.database.url);
  try {
    await migrateToLatest(database.db);
    await seedClients(database.db, config.clients, systemClock.now());
    return await work(database);
  } finally {
    await database.close();
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n') + '\n';
}
