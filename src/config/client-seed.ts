/**
 * `clients[]` of the configuration file: seed 000's client (clientID, callbackURL, config, name) and the OpenID
 * fields of CONTRACT §5, spelled as the API spells them, checked by the same rules (config/oidc-client-rules.ts).
 */
import { checkOidcFields, OIDC_INPUT_KEYS, type OidcFieldsInput } from './oidc-client-rules.js';
import { usesClientSecret, type OidcClientFields } from './oidc-client-fields.js';
import { describeValue } from './durations.js';
import {
  Invalid, asOneOf, bool, field, joinPath, loose, nullable, readSection, requiredStr, section, strList, type Ctx, type Field, type Spec,
} from './fields.js';
import { clientName, url } from './values.js';

/** How a client receives its token after login (seed 000). */
export type TokenMethod = 'query' | 'cookie' | 'body';

/** A client registered at start-up; why: deployments declare their apps in the file (seed 000). */
export interface ClientSeed {
  clientID: string;
  callbackURL: string;
  config: { tokenMethod: TokenMethod[]; disableStrategies: string[] };
  name: string | null;
  /** The OpenID fields, completed with their defaults; null when the item gives none (a seed-000 client only). */
  oidc: OidcClientFields | null;
  /** The client secret the file gives (its hash is stored at start); null keeps a stored one (see seedClients). */
  clientSecret: string | null;
}

/**
 * Shortest client secret the file may give. Why: only its SHA-256 is stored, a fast hash, so the secret itself must
 * be too long to guess; 32 characters of `openssl rand -base64 32` (44) carry well over 128 bits.
 */
export const MIN_CLIENT_SECRET_LENGTH = 32;

/** An item as the file writes it: the OpenID fields flat beside seed 000's. */
type ClientItem = Omit<ClientSeed, 'oidc'> & { [K in (typeof OIDC_INPUT_KEYS)[number]]: NonNullable<OidcFieldsInput[K]> | null };

const TOKEN_METHODS: readonly TokenMethod[] = ['query', 'cookie', 'body'];
/** tokenMethod: one method or a list, normalised to a non-empty list without duplicates (seed 000). */
const tokenMethods = field((raw): TokenMethod[] => {
  const items = Array.isArray(raw) ? raw : [raw];
  if (items.length === 0) throw new Invalid('must name at least one of query, cookie, body');
  return [...new Set(items.map((item) => asOneOf(TOKEN_METHODS, item)))];
}, (): TokenMethod[] => ['query']);

/** A JWK Set as written (YAML mapping or JSON); the OpenID rules check its keys. */
const jwkSet = nullable(field((raw): object => {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Invalid(`must be a JWK Set {keys: [...]} (got ${describeValue(raw)})`);
  return raw;
}, {}));

const clientSecret = nullable(requiredStr((value) => {
  if (value.length < MIN_CLIENT_SECRET_LENGTH) throw new Invalid(`must be at least ${MIN_CLIENT_SECRET_LENGTH} characters (got ${value.length}); e.g. openssl rand -base64 32`);
  return value;
}));

const clientItem: Spec<ClientItem> = {
  clientID: requiredStr(),
  callbackURL: url(['http:', 'https:'], 'an http:// or https:// URL'),
  config: section<ClientSeed['config']>({
    tokenMethod: tokenMethods,
    disableStrategies: strList([]),
  }),
  name: nullable(requiredStr(clientName)),
  redirectUris: nullable(strList([])),
  postLogoutRedirectUris: nullable(strList([])),
  grantTypes: nullable(strList([])),
  tokenEndpointAuthMethod: nullable(requiredStr()),
  scopes: nullable(strList([])),
  firstParty: nullable(bool(false)),
  backchannelLogoutUri: nullable(requiredStr()),
  jwks: jwkSet,
  jwksUri: nullable(requiredStr()),
  clientSecret,
};

const itemSpec = loose(clientItem);

/** The `clients` key: each item read, then its OpenID fields checked and completed, each problem naming its key. */
export const clientSeeds: Field<ClientSeed[]> = field((raw, ctx, path) => {
  if (!Array.isArray(raw)) throw new Invalid(`must be a list (got ${describeValue(raw)})`);
  return raw.map((item: unknown, index) => {
    const itemPath = joinPath(path, index);
    const target: Record<string, unknown> = {};
    readSection(itemSpec, item, itemPath, ctx, target);
    return toSeed(target as ClientItem, itemPath, ctx);
  });
}, (): ClientSeed[] => [], { children: { spec: itemSpec, list: true } });

function toSeed(item: ClientItem, path: string, ctx: Ctx): ClientSeed {
  const { clientID, callbackURL, config, name, clientSecret: secret } = item;
  const { fields, errors } = checkOidcFields(item);
  for (const error of errors) ctx.problems.push(`${path}.${configPath(error.field)}: ${error.message}`);
  if (secret !== null && fields !== null && !usesClientSecret(fields)) {
    ctx.problems.push(`${path}.clientSecret: only for tokenEndpointAuthMethod client_secret_basic or client_secret_post (got ${fields.tokenEndpointAuthMethod})`);
  }
  if (secret !== null && fields === null && errors.length === 0) {
    ctx.problems.push(`${path}.clientSecret: only for an OpenID client (give redirectUris, grantTypes or another OpenID field)`);
  }
  return { clientID, callbackURL, config, name, oidc: fields, clientSecret: secret };
}

/** `redirectUris.2` → `redirectUris[2]`, `jwks.keys.0` → `jwks.keys[0]`: list items as the configuration's problems name them. */
function configPath(field: string): string {
  return field.split('.').map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`)).join('').replace(/^\./, '');
}
