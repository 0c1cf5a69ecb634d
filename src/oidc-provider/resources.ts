import { errors, type Client, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { CLIENT_RESOURCE, type Config, type OidcResource } from '../config/index.js';

type ResourceIndicators = NonNullable<NonNullable<Configuration['features']>['resourceIndicators']>;
type ResourceServerInfo = Awaited<ReturnType<NonNullable<ResourceIndicators['getResourceServerInfo']>>>;

/**
 * Access tokens for APIs (RFC 8707 resource indicators, RFC 9068 JWTs):
 * - `urn:gatehouse:client` (the default of client credentials): a JWT (`typ: at+jwt`) whose `aud` is the client and
 *   whose scopes are the permission strings the client is allowed;
 * - an API of the register (`oidc.resources`): a JWT whose `aud` is its indicator and whose scopes are those asked
 *   for among the API's — for the clients the register names; any other client, or an unknown resource, is refused
 *   `invalid_target`;
 * `tokens.clientFormat: opaque` makes either an opaque reference instead (introspection shows its `aud`). A sign-in's
 * access token without a resource is the one for UserInfo (opaque, as node-oidc-provider issues it). Why the granted
 * resource is not used by itself (`useGrantedResource`): a sign-in that names one resource still needs its UserInfo
 * token; the client names the resource again at the token endpoint (RFC 8707 §2.2) to get the API's.
 */
export function resourceIndicators(config: Config): ResourceIndicators {
  const register = new Map(config.oidc.resources.map((resource) => [resource.indicator, resource]));
  const info = (audience: string, scopes: readonly string[], ttl: number): ResourceServerInfo => ({
    audience,
    scope: scopes.join(' '),
    accessTokenTTL: Math.max(1, Math.floor(ttl / 1000)),
    accessTokenFormat: config.tokens.clientFormat === 'opaque' ? 'opaque' : 'jwt',
    jwt: { sign: { alg: 'RS256' } },
  });
  return {
    enabled: true,
    defaultResource: async (ctx, _client, oneOf) => {
      if (oneOf) return oneOf;
      return ctx.oidc.params?.grant_type === 'client_credentials' ? CLIENT_RESOURCE : undefined;
    },
    getResourceServerInfo: async (ctx, indicator, client) => {
      if (indicator === CLIENT_RESOURCE) {
        assertAllowed(ctx.oidc.params?.scope, client);
        return info(client.clientId, permissionsOf(client), config.oidc.accessTokenTtl);
      }
      const resource = allowedResource(register, indicator, client);
      // Client credentials: what the client asks for is checked here (a sign-in's scopes by `scopeCheck`).
      if (ctx.oidc.params?.grant_type === 'client_credentials') assertAllowed(ctx.oidc.params.scope, client, resource.scopes);
      return info(indicator, resource.scopes, resource.accessTokenTtl ?? config.oidc.accessTokenTtl);
    },
    useGrantedResource: async () => false,
  };
}

/** The API of the register for `indicator`, if this client may have tokens for it; else `invalid_target`. */
function allowedResource(register: ReadonlyMap<string, OidcResource>, indicator: string, client: Client): OidcResource {
  const resource = register.get(indicator);
  if (!resource) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
  if (!resource.clients.includes(client.clientId)) throw new errors.InvalidTarget(`resource ${indicator} is not allowed for this client`);
  return resource;
}

/**
 * An authorization request's own check of `scope` (registered as an extra parameter, whose validators run once the
 * redirect URI is known, so the refusal goes back to the client): node-oidc-provider drops a scope it does not know
 * without a word, where the contract wants `invalid_scope`. A scope of a resource the request names (already
 * resolved, and refused if not allowed) is known.
 */
export const SCOPE_CHECK = 'gatehouse_scope_check';

export async function refuseUnknownScopes(ctx: KoaContextWithOIDC, _value: string | undefined, client: Client): Promise<void> {
  const resourceScopes = Object.values(ctx.oidc.resourceServers ?? {}).flatMap((server) => (server.scope ?? '').split(' '));
  assertAllowed(sentScope(ctx), client, resourceScopes);
}

/**
 * The scope as the request sent it. Why not `params.scope`: by the time extra parameters are checked, the provider's
 * resource check has already cut it down to the OpenID scopes it knows when no resource is named.
 */
function sentScope(ctx: KoaContextWithOIDC): unknown {
  const sent = ctx.method === 'POST' ? (ctx.oidc.body as Record<string, unknown> | undefined)?.scope : ctx.query.scope;
  return sent ?? ctx.oidc.params?.scope;
}

/** Every requested scope is an OpenID one the client may ask for, one of its permission strings, or one of `extra`. */
function assertAllowed(requested: unknown, client: Client, extra: readonly string[] = []): void {
  if (typeof requested !== 'string') return;
  const allowed = new Set([...(client.scope ?? 'openid').split(' '), ...permissionsOf(client), ...extra]);
  const unknown = requested.split(' ').find((scope) => scope && !allowed.has(scope));
  if (unknown) throw new errors.InvalidScope('requested scope is not allowed', unknown);
}

/** The permission strings a client may ask for (client-metadata.ts `permissionScopes`). */
function permissionsOf(client: Client): string[] {
  return ((client as unknown as { permissionScopes?: string[] }).permissionScopes) ?? [];
}
