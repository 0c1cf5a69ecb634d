import { parseArgs, type ParseArgsConfig } from 'node:util';
import { commandLineAuditLog, type AuditLog } from '../audit/audit-log.js';
import { cryptoRandom, systemClock } from '../clock.js';
import type { Config } from '../config/index.js';
import { migrateToLatest, openDatabase, type Database } from '../db/database.js';
import { describeOidc, flagProblem, readJwksFile } from './client-cli-text.js';
import { insertClientWithSecret, rotateClientSecret } from './client-secrets.js';
import { deleteClient, findClientWithSecret, listClients, seedClients, type Client } from './client.repository.js';
import { checkClient, type ClientInput } from './client.service.js';
import { usesClientSecret } from '../config/oidc-client-fields.js';

/*
 * `gatehouse client add|list|remove|secret` (CONTRACT §1; `secret` rotates an OpenID client's secret, CONTRACT §5).
 * The same rules as `POST /clients` (client.service.ts), without the HTTP layer: an operator with database access
 * needs no token. Like `npm start`, each command first writes the clients of the configuration file, so what it shows
 * and changes is what a server started now would see.
 */

/** `--config` is read by the entry point but stays in the arguments, so every command accepts it. */
const common = { config: { type: 'string', short: 'c' } } as const satisfies ParseArgsConfig['options'];

/** The options of `client add`: seed 000's client, then the OpenID fields (repeatable where the field is a list). */
const addOptions = {
  id: { type: 'string' }, callback: { type: 'string' }, name: { type: 'string' }, 'token-method': { type: 'string' }, disable: { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true }, 'post-logout-redirect-uri': { type: 'string', multiple: true },
  'grant-type': { type: 'string', multiple: true }, 'auth-method': { type: 'string' }, scope: { type: 'string', multiple: true },
  'first-party': { type: 'boolean' }, 'backchannel-logout-uri': { type: 'string' }, jwks: { type: 'string' }, 'jwks-uri': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/** `client add --id ID --callback URL [--name NAME] [--token-method …] [--disable …] [OpenID options]`. */
export async function clientAdd(config: Config, args: string[]): Promise<number> {
  const parsed = parse('client add', args, { ...common, ...addOptions });
  if (!parsed) return 1;
  const { values } = parsed;
  const problems: string[] = [];
  if (values.id === undefined) problems.push('--id: is required');
  if (values.callback === undefined) problems.push('--callback: is required');
  const jwks = values.jwks === undefined ? undefined : readJwksFile(values.jwks, problems);
  const input: ClientInput = {
    clientID: values.id ?? '',
    callbackURL: values.callback ?? '',
    name: values.name,
    config: { tokenMethod: values['token-method'] === undefined ? undefined : list(values['token-method']), disableStrategies: list(values.disable ?? '') },
    redirectUris: values['redirect-uri'],
    postLogoutRedirectUris: values['post-logout-redirect-uri'],
    grantTypes: values['grant-type']?.flatMap(list),
    tokenEndpointAuthMethod: values['auth-method'],
    scopes: values.scope?.flatMap((scope) => scope.split(/[\s,]+/).filter((item) => item !== '')),
    firstParty: values['first-party'],
    backchannelLogoutUri: values['backchannel-logout-uri'],
    jwks,
    jwksUri: values['jwks-uri'],
  };
  const { client, errors } = checkClient(input);
  // A missing flag is said once, not again as "must be …".
  problems.push(...errors.map((e) => flagProblem(e, input)).filter((line) => !problems.some((p) => line.startsWith(p.split(':', 1)[0]! + ':'))));
  if (!client || problems.length) return fail('client add', problems);
  return withDatabase(config, async (database) => {
    const created = await insertClientWithSecret(database.db, cryptoRandom, client, systemClock.now());
    if (!created) return fail('client add', [`--id: a client "${client.clientID}" already exists`]);
    await auditLog(database).record('client.created', { data: { clientID: client.clientID, by: 'cli', oidc: client.oidc !== null, secretIssued: created.clientSecret !== null } });
    process.stdout.write(`added client ${client.clientID} → ${client.callbackURL} (tokenMethod ${client.config.tokenMethod.join(',')}${client.config.disableStrategies.length ? `; disabled ${client.config.disableStrategies.join(',')}` : ''})\n`);
    if (client.oidc) process.stdout.write(describeOidc(client.oidc));
    if (created.clientSecret) process.stdout.write(`client secret (shown only now; only its hash is stored): ${created.clientSecret}\n`);
    return 0;
  });
}

/** `client secret --id ID`: a new secret for an OpenID client that authenticates with one, printed once. */
export async function clientSecret(config: Config, args: string[]): Promise<number> {
  const parsed = parse('client secret', args, { ...common, id: { type: 'string' } });
  if (!parsed) return 1;
  const id = parsed.values.id;
  if (id === undefined || id === '') return fail('client secret', ['--id: is required']);
  return withDatabase(config, async (database) => {
    const stored = await findClientWithSecret(database.db, id);
    if (!stored) return fail('client secret', [`--id: no client "${id}"`]);
    if (!usesClientSecret(stored.oidc)) {
      const how = stored.oidc ? `authenticates with ${stored.oidc.tokenEndpointAuthMethod}` : 'is not an OpenID client';
      return fail('client secret', [`--id: client "${id}" ${how}, so it has no secret to rotate`]);
    }
    const secret = await rotateClientSecret(database.db, cryptoRandom, stored, systemClock.now());
    if (secret === null) return fail('client secret', [`--id: the secret of "${id}" changed meanwhile; run the command again`]);
    await auditLog(database).record('client.secret-rotated', { data: { clientID: id, by: 'cli' } });
    process.stdout.write(`new client secret for ${id} (shown only now; the previous one no longer works): ${secret}\n`);
    const index = config.clients.findIndex((c) => c.clientID === id);
    if (index >= 0 && config.clients[index]!.clientSecret !== null) {
      process.stderr.write(`gatehouse client secret: note: the configuration gives clients[${index}].clientSecret for "${id}", so the next start writes that secret back; change it there\n`);
    }
    return 0;
  });
}

/** `client list`: one row per client under a header (OIDC: the token endpoint's auth method of an OpenID client), or "no clients". */
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
      ['CLIENT ID', 'NAME', 'CALLBACK URL', 'TOKEN METHOD', 'DISABLED', 'OIDC', 'SOURCE'],
      ...clients.map((c) => [
        c.clientID, c.name ?? '-', c.callbackURL, c.config.tokenMethod.join(','), c.config.disableStrategies.join(',') || '-',
        c.oidc?.tokenEndpointAuthMethod ?? '-', configured.has(c.clientID) ? 'config' : 'database',
      ]),
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
    await auditLog(database).record('client.deleted', { data: { clientID: id, by: 'cli' } });
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

function auditLog(database: Database): AuditLog {
  return commandLineAuditLog(database.db, systemClock);
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
