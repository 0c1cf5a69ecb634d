import { errors, type Configuration } from 'oidc-provider';
import type { Config } from '../config/index.js';
import { KNOWN_SCOPES } from './claims.js';

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
    getResourceServerInfo: async (_ctx, indicator, client) => {
      if (indicator !== CLIENT_AUDIENCE) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
      return {
        audience: client.clientId,
        scope: permissionScopes(client.scope).join(' '),
        accessTokenTTL: Math.max(1, Math.floor(config.oidc.accessTokenTtl / 1000)),
        accessTokenFormat: config.tokens.clientFormat === 'opaque' ? 'opaque' : 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      };
    },
    useGrantedResource: async () => false,
  };
}

/** A client's allowed scopes that are permission strings, not OpenID ones. */
function permissionScopes(scope: string | undefined): string[] {
  const known = new Set(KNOWN_SCOPES);
  return (scope ?? '').split(' ').filter((value) => value && !known.has(value));
}
