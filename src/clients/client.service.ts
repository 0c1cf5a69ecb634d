import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit-log.js';
import type { Principal } from '../permissions/principal.js';
import type { Clock, RandomSource } from '../clock.js';
import type { ClientSeed, TokenMethod } from '../config/index.js';
import type { DB } from '../db/types.js';
import { clientName } from '../config/values.js';
import { AppError, type FieldError } from '../http/errors.js';
import { pageWindow } from '../http/hal.js';
import { isPermitted } from '../permissions/wildcard.js';
import { insertClientWithSecret, rotateClientSecret, updateClientWithSecret } from './client-secrets.js';
import { callbackUrlProblem } from '../config/client-urls.js';
import { deleteClient, findClient, findClientWithSecret, listClients, type Client } from './client.repository.js';
import { CLIENT_ID_PATTERN, STRATEGIES, STRATEGY_PATTERN, TOKEN_METHODS } from './client.schemas.js';
import { usesClientSecret, type OidcClientFields } from '../config/oidc-client-fields.js';
import { checkOidcFields, STANDARD_SCOPES, type OidcFieldsInput } from '../config/oidc-client-rules.js';

/** What a caller (API body or CLI flags) says about a client before the rules are applied; any OpenID field makes it an OpenID client. */
export interface ClientInput extends OidcFieldsInput {
  clientID: string;
  callbackURL: string;
  config?: { tokenMethod?: string | readonly string[]; disableStrategies?: readonly string[] };
  /** Display name on the hosted pages; absent = none. */
  name?: string | undefined;
}

const clientIdRule = new RegExp(CLIENT_ID_PATTERN, 'u');
const strategyRule = new RegExp(STRATEGY_PATTERN, 'u');
/**
 * Applies the rules of `clients` in the configuration file to API and CLI input, collecting every problem:
 * tokenMethod is one method or a list, normalised to a list without duplicates (default `query`),
 * disableStrategies a list of known strategies (default none), the OpenID fields by config/oidc-client-rules.ts. `checkId: false` skips the clientID rule for a
 * client that exists already (one declared in the configuration file may carry any id).
 */
export function checkClient(input: ClientInput, options: { checkId?: boolean } = {}): { client: Client | null; errors: FieldError[] } {
  const errors: FieldError[] = [];
  if (options.checkId !== false && !clientIdRule.test(input.clientID)) {
    errors.push({ field: 'clientID', message: 'must be 1 to 128 letters, digits, ".", "_" or "-" (and not "." or "..")' });
  }
  const urlProblem = callbackUrlProblem(input.callbackURL);
  if (urlProblem) errors.push({ field: 'callbackURL', message: urlProblem });

  const rawMethods = input.config?.tokenMethod ?? ['query'];
  const methods = typeof rawMethods === 'string' ? [rawMethods] : [...rawMethods];
  if (methods.length === 0) errors.push({ field: 'config.tokenMethod', message: `must name at least one of ${TOKEN_METHODS.join(', ')}` });
  for (const method of methods) {
    if (!TOKEN_METHODS.includes(method as TokenMethod)) errors.push({ field: 'config.tokenMethod', message: `unknown method ${JSON.stringify(method)}; use ${TOKEN_METHODS.join(', ')}` });
  }
  const name = input.name === undefined ? null : checkName(input.name, errors);
  const oidc = checkOidcFields(input);
  errors.push(...oidc.errors);
  const strategies = [...(input.config?.disableStrategies ?? [])];
  for (const strategy of strategies) {
    if (!strategyRule.test(strategy)) errors.push({ field: 'config.disableStrategies', message: `unknown strategy ${JSON.stringify(strategy)}; use ${STRATEGIES.join(', ')} or oidc:<id>` });
  }
  if (errors.length) return { client: null, errors };
  const config: ClientSeed['config'] = { tokenMethod: [...new Set(methods as TokenMethod[])], disableStrategies: [...new Set(strategies)] };
  return { client: { clientID: input.clientID, callbackURL: input.callbackURL, config, name, oidc: oidc.fields }, errors };
}

/** The configuration's rule for `clients[].name` (config/values.ts), so the file, the API and the CLI agree. */
function checkName(value: string, errors: FieldError[]): string | null {
  try {
    return clientName(value);
  } catch (error) {
    errors.push({ field: 'name', message: (error as Error).message });
    return null;
  }
}

/** `checkClient` for callers that answer with problem+json: every problem in one `invalid-request`. */
export function requireValidClient(input: ClientInput, options: { checkId?: boolean } = {}): Client {
  const { client, errors } = checkClient(input, options);
  if (!client) throw new AppError('invalid-request', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
  return client;
}


/** What the client service needs. */
export interface ClientServiceDeps {
  db: Kysely<DB>;
  clock: Clock;
  /** Client secrets are made from it (tests inject their own). */
  random: RandomSource;
  audit: AuditLog;
}

/** A client as a change answers it: with its new secret when the change made one (shown this once), else null. */
export interface ClientChange {
  client: Client;
  clientSecret: string | null;
}

/**
 * Registered clients (seed 000, with the OpenID fields of CONTRACT §5): `clients:read` to see them, `clients:write`
 * to change them. Knows nothing of HTTP. Clients declared in the configuration can be changed here too; the next
 * start writes the file's version back (see `seedClients`).
 */
export class ClientService {
  constructor(private readonly deps: ClientServiceDeps) {}

  async list(actor: Principal, page?: number, size?: number): Promise<{ items: Client[]; total: number; page: number; size: number }> {
    requirePermission(actor, 'clients:read');
    const window = pageWindow(page, size);
    const { items, total } = await listClients(this.deps.db, window);
    return { items, total, page: window.page, size: window.size };
  }

  async get(actor: Principal, clientId: string): Promise<Client> {
    requirePermission(actor, 'clients:read');
    return this.existing(clientId);
  }

  /** Registers a client; one that authenticates with a secret gets it generated, answered here only. */
  async create(actor: Principal, input: ClientInput): Promise<ClientChange> {
    requirePermission(actor, 'clients:write');
    const client = requireValidClient(input);
    requireScopesWithinRank(actor, client.oidc);
    const created = await insertClientWithSecret(this.deps.db, this.deps.random, client, this.deps.clock.now());
    if (!created) {
      throw new AppError('conflict', `clientID: a client "${client.clientID}" already exists`, { errors: [{ field: 'clientID', message: 'is already registered' }] });
    }
    await this.record('client.created', actor, client.clientID, { oidc: client.oidc !== null, secretIssued: created.clientSecret !== null });
    return { client, clientSecret: created.clientSecret };
  }

  /**
   * PUT: callbackURL, config, name and the OpenID fields are replaced as a whole (an omitted config returns to the
   * defaults, an omitted name to none, no OpenID field at all makes it a seed-000 client again). A client that now
   * authenticates with a secret and has none gets one, answered here; an existing secret is kept and never shown.
   */
  async replace(actor: Principal, clientId: string, input: Omit<ClientInput, 'clientID'> & { clientID?: string }): Promise<ClientChange> {
    requirePermission(actor, 'clients:write');
    if (input.clientID !== undefined && input.clientID !== clientId) {
      throw new AppError('invalid-request', 'clientID: must match the clientID in the path (a client cannot be renamed)', {
        errors: [{ field: 'clientID', message: 'must match the clientID in the path' }],
      });
    }
    // The id in the path names an existing client (possibly one from the configuration file), so only the new values are checked.
    const client = requireValidClient({ ...input, clientID: clientId }, { checkId: false });
    requireScopesWithinRank(actor, client.oidc);
    requireScopesWithinRank(actor, (await this.existing(clientId)).oidc);
    const updated = await updateClientWithSecret(this.deps.db, this.deps.random, client, this.deps.clock.now());
    if (!updated) throw notFound(clientId);
    await this.record('client.updated', actor, clientId, { oidc: client.oidc !== null, secretIssued: updated.clientSecret !== null });
    return { client, clientSecret: updated.clientSecret };
  }

  /** `POST /clients/{clientID}/secret`: a new secret, answered once; the old one stops working at once. */
  async rotateSecret(actor: Principal, clientId: string): Promise<ClientChange> {
    requirePermission(actor, 'clients:write');
    const stored = await findClientWithSecret(this.deps.db, clientId);
    if (!stored) throw notFound(clientId);
    requireScopesWithinRank(actor, stored.oidc);
    if (!usesClientSecret(stored.oidc)) throw usesNoSecret(stored.oidc);
    const clientSecret = await rotateClientSecret(this.deps.db, this.deps.random, stored, this.deps.clock.now());
    if (clientSecret === null) throw new AppError('conflict', 'the secret of this client changed while it was being rotated; rotate again');
    await this.record('client.secret-rotated', actor, clientId, {});
    const { secretHash: _hidden, ...client } = stored;
    return { client, clientSecret };
  }

  async remove(actor: Principal, clientId: string): Promise<void> {
    requirePermission(actor, 'clients:write');
    if (!(await deleteClient(this.deps.db, clientId))) throw notFound(clientId);
    await this.record('client.deleted', actor, clientId, {});
  }

  private async existing(clientId: string): Promise<Client> {
    const client = await findClient(this.deps.db, clientId);
    if (!client) throw notFound(clientId);
    return client;
  }

  /**
   * Client changes go to the audit log under the account that made them; never with a secret. `by` names it too, as
   * the CLI's events (`by: cli`) and every other administrative event do, so the audit log's "done by" filter finds them.
   */
  private record(type: 'client.created' | 'client.updated' | 'client.deleted' | 'client.secret-rotated', actor: Principal, clientId: string, data: Record<string, unknown>): Promise<void> {
    return this.deps.audit.record(type, { accountId: actor.accountId, sessionId: actor.sessionId, data: { clientID: clientId, by: actor.accountId, ...data } });
  }
}

/**
 * No one acts above their rank (CONTRACT §3): a scope that is a permission string lets the client ask for that
 * permission (and with client_credentials, hold it itself), so a caller may only give — or change, or re-key — a
 * client whose permission scopes the caller holds.
 */
function requireScopesWithinRank(actor: Principal, oidc: OidcClientFields | null): void {
  const above = (oidc?.scopes ?? []).filter((scope) => !STANDARD_SCOPES.includes(scope) && !isPermitted(actor.permissions, scope));
  if (above.length === 0) return;
  throw new AppError('forbidden', `scopes: the client allows permissions you do not hold (${above.join(', ')})`, {
    errors: above.map((scope) => ({ field: `scopes.${oidc!.scopes.indexOf(scope)}`, message: 'is a permission you do not hold' })),
  });
}

/** Why a client has no secret to rotate. */
function usesNoSecret(oidc: OidcClientFields | null): AppError {
  const why = oidc === null
    ? 'is not an OpenID client (it has no OpenID fields)'
    : `authenticates with ${oidc.tokenEndpointAuthMethod}, not with a secret`;
  return new AppError('conflict', `this client ${why}: it has no secret to rotate`, {
    errors: [{ field: 'tokenEndpointAuthMethod', message: oidc === null ? 'is not set (not an OpenID client)' : `is ${oidc.tokenEndpointAuthMethod}` }],
  });
}

function requirePermission(actor: Principal, permission: string): void {
  if (!isPermitted(actor.permissions, permission)) throw new AppError('forbidden', `requires permission ${permission}`);
}

function notFound(clientId: string): AppError {
  return new AppError('not-found', `no client ${JSON.stringify(clientId)}`);
}
