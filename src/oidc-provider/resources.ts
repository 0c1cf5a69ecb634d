import { errors, type Client, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../config/index.js';

/**
 * The one resource a client's access tokens are for unless it names none (CONTRACT §5: `aud` is the client). Why a
 * URN: RFC 8707 resource indicators are absolute URIs, and the client's own id is not one.
 */
export const CLIENT_AUDIENCE = 'urn:gatehouse:client';

type ResourceIndicators = NonNullable<NonNullable<Configuration['features']>['resourceIndicators']>;

/**
 * Access tokens for APIs (RFC 8707 resource indicators, RFC 9068 JWTs): a client-credentials token — or one asked
 * for with `resource=urn:gatehouse:client` — is a JWT (`typ: at+jwt`) whose `aud` is the client and whose scopes are
 * the permission strings the client is allowed; `tokens.clientFormat: opaque` makes it an opaque reference instead.
 * A sign-in's access token without a resource is the one for UserInfo (opaque, as node-oidc-provider issues it).
 * Other resources are refused (`invalid_target`): Gatehouse keeps no register of resource servers yet.
 */
export function resourceIndicators(config: Config): ResourceIndicators {
  return {
    enabled: true,
    defaultResource: async (ctx, _client, oneOf) => {
      if (oneOf) return oneOf;
      return ctx.oidc.params?.grant_type === 'client_credentials' ? CLIENT_AUDIENCE : undefined;
    },
    getResourceServerInfo: async (ctx, indicator, client) => {
      if (indicator !== CLIENT_AUDIENCE) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
      const allowed = permissionsOf(client);
      assertAllowed(ctx.oidc.params?.scope, client);
      return {
        audience: client.clientId,
        scope: allowed.join(' '),
        accessTokenTTL: Math.max(1, Math.floor(config.oidc.accessTokenTtl / 1000)),
        accessTokenFormat: config.tokens.clientFormat === 'opaque' ? 'opaque' : 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      };
    },
    useGrantedResource: async () => false,
  };
}

/**
 * An authorization request's own check of `scope` (registered as an extra parameter, whose validators run once the
 * redirect URI is known, so the refusal goes back to the client): node-oidc-provider drops a scope it does not know
 * without a word, where the contract wants `invalid_scope`.
 */
export const SCOPE_CHECK = 'gatehouse_scope_check';

export async function refuseUnknownScopes(ctx: KoaContextWithOIDC, _value: string | undefined, client: Client): Promise<void> {
  assertAllowed(sentScope(ctx), client);
}

/**
 * The scope as the request sent it. Why not `params.scope`: by the time extra parameters are checked, the provider's
 * resource check has already cut it down to the OpenID scopes it knows when no resource is named.
 */
function sentScope(ctx: KoaContextWithOIDC): unknown {
  const sent = ctx.method === 'POST' ? (ctx.oidc.body as Record<string, unknown> | undefined)?.scope : ctx.query.scope;
  return sent ?? ctx.oidc.params?.scope;
}

/** Every requested scope is an OpenID one the client may ask for, or one of its permission strings. */
function assertAllowed(requested: unknown, client: Client): void {
  if (typeof requested !== 'string') return;
  const allowed = new Set([...(client.scope ?? 'openid').split(' '), ...permissionsOf(client)]);
  const unknown = requested.split(' ').find((scope) => scope && !allowed.has(scope));
  if (unknown) throw new errors.InvalidScope('requested scope is not allowed', unknown);
}

/** The permission strings a client may ask for (client-metadata.ts `permissionScopes`). */
function permissionsOf(client: Client): string[] {
  return ((client as unknown as { permissionScopes?: string[] }).permissionScopes) ?? [];
}
