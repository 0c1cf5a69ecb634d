import type { Kysely } from 'kysely';
import type { Principal } from '../permissions/principal.js';
import type { Clock } from '../clock.js';
import type { ClientSeed, TokenMethod } from '../config/index.js';
import type { DB } from '../db/types.js';
import { clientName } from '../config/values.js';
import { AppError, type FieldError } from '../http/errors.js';
import { pageWindow } from '../http/hal.js';
import { isPermitted } from '../permissions/wildcard.js';
import { deleteClient, findClient, insertClient, listClients, updateClient, type Client } from './client.repository.js';
import { CLIENT_ID_PATTERN, MAX_CALLBACK_URL_LENGTH, STRATEGIES, STRATEGY_PATTERN, TOKEN_METHODS } from './client.schemas.js';

/** What a caller (API body or CLI flags) says about a client before the rules are applied. */
export interface ClientInput {
  clientID: string;
  callbackURL: string;
  config?: { tokenMethod?: string | readonly string[]; disableStrategies?: readonly string[] };
  /** Display name on the hosted pages; absent = none. */
  name?: string | undefined;
}

const clientIdRule = new RegExp(CLIENT_ID_PATTERN, 'u');
const strategyRule = new RegExp(STRATEGY_PATTERN, 'u');
/** RFC 3986 §2: unreserved, reserved and `%`; anything else must be percent-encoded, so the stored text is the URL itself. */
const URI_CHARACTERS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]*$/;
const BAD_PERCENT = /%(?![0-9A-Fa-f]{2})/;

/**
 * Why a callbackURL is refused, or null. The URL is stored as written and compared character for character
 * (seed 000: tokens go only to the registered callbackURL), so nothing ambiguous is let in: the scheme is written
 * out (`http:foo` would be read as `http://foo/`), no userinfo (a `https://good.example@evil.example/` look-alike;
 * OAuth 2.1 §2.3.1 treats redirect URIs the same way) and no fragment (RFC 6749 §3.1.2, the token is appended).
 */
export function callbackUrlProblem(value: string): string | null {
  if (value.length === 0) return 'is required';
  if (value.length > MAX_CALLBACK_URL_LENGTH) return `must be at most ${MAX_CALLBACK_URL_LENGTH} characters`;
  if (/[\u0000-\u0020\u007f]/.test(value)) return 'must not contain spaces or control characters';
  if (!/^https?:\/\//i.test(value) || !URL.canParse(value)) return 'must be an absolute http:// or https:// URL';
  if (!URI_CHARACTERS.test(value) || BAD_PERCENT.test(value)) {
    return 'must contain only URL characters (RFC 3986): percent-encode others, write international host names in punycode';
  }
  if (value.includes('#')) return 'must not have a fragment (#…)';
  const authority = value.slice(value.indexOf('//') + 2).split(/[/?]/, 1)[0]!;
  if (authority.includes('@')) return 'must not contain userinfo (user:password@)';
  if (new URL(value).hostname === '') return 'must name a host';
  return null;
}

/**
 * Applies the rules of `clients` in the configuration file to API and CLI input, collecting every problem:
 * tokenMethod is one method or a list, normalised to a list without duplicates (default `query`),
 * disableStrategies a list of known strategies (default none). `checkId: false` skips the clientID rule for a
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
  const strategies = [...(input.config?.disableStrategies ?? [])];
  for (const strategy of strategies) {
    if (!strategyRule.test(strategy)) errors.push({ field: 'config.disableStrategies', message: `unknown strategy ${JSON.stringify(strategy)}; use ${STRATEGIES.join(', ')} or oidc:<id>` });
  }
  if (errors.length) return { client: null, errors };
  const config: ClientSeed['config'] = { tokenMethod: [...new Set(methods as TokenMethod[])], disableStrategies: [...new Set(strategies)] };
  return { client: { clientID: input.clientID, callbackURL: input.callbackURL, config, name, oidc: null }, errors };
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
}

/**
 * Registered clients (seed 000): `clients:read` to see them, `clients:write` to change them. Knows nothing of HTTP.
 * Clients declared in the configuration can be changed here too; the next start writes the file's version back
 * (see `seedClients`).
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

  async create(actor: Principal, input: ClientInput): Promise<Client> {
    requirePermission(actor, 'clients:write');
    const client = requireValidClient(input);
    if (!(await insertClient(this.deps.db, client, this.deps.clock.now()))) {
      throw new AppError('conflict', `clientID: a client "${client.clientID}" already exists`, { errors: [{ field: 'clientID', message: 'is already registered' }] });
    }
    return client;
  }

  /** PUT: callbackURL, config and name are replaced as a whole (an omitted config returns to the defaults, an omitted name to none). */
  async replace(actor: Principal, clientId: string, input: Omit<ClientInput, 'clientID'> & { clientID?: string }): Promise<Client> {
    requirePermission(actor, 'clients:write');
    if (input.clientID !== undefined && input.clientID !== clientId) {
      throw new AppError('invalid-request', 'clientID: must match the clientID in the path (a client cannot be renamed)', {
        errors: [{ field: 'clientID', message: 'must match the clientID in the path' }],
      });
    }
    // The id in the path names an existing client (possibly one from the configuration file), so only the new values are checked.
    const client = requireValidClient({ ...input, clientID: clientId }, { checkId: false });
    if (!(await updateClient(this.deps.db, client))) throw notFound(clientId);
    return client;
  }

  async remove(actor: Principal, clientId: string): Promise<void> {
    requirePermission(actor, 'clients:write');
    if (!(await deleteClient(this.deps.db, clientId))) throw notFound(clientId);
  }

  private async existing(clientId: string): Promise<Client> {
    const client = await findClient(this.deps.db, clientId);
    if (!client) throw notFound(clientId);
    return client;
  }
}

function requirePermission(actor: Principal, permission: string): void {
  if (!isPermitted(actor.permissions, permission)) throw new AppError('forbidden', `requires permission ${permission}`);
}

function notFound(clientId: string): AppError {
  return new AppError('not-found', `no client ${JSON.stringify(clientId)}`);
}
