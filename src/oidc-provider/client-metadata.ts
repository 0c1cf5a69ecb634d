import type { Kysely } from 'kysely';
import type { Adapter, AdapterPayload, ClientMetadata } from 'oidc-provider';
import { findClientWithSecret, type ClientWithSecret } from '../clients/client.repository.js';
import { clientSecretMatches, usesClientSecret } from '../config/oidc-client-fields.js';
import { STANDARD_SCOPES } from '../config/oidc-client-rules.js';
import type { DB } from '../db/types.js';
import { KNOWN_SCOPES } from './claims.js';

/**
 * A Gatehouse client as node-oidc-provider's client metadata (RFC 7591 names). Why `client_secret` is the stored
 * hash: the secret itself is never kept (shown once, CONTRACT §5); `compareClientSecret` below hashes what a client
 * presents before comparing. A client without OIDC fields is no OpenID client: the provider does not know it.
 */
export function clientMetadataOf(client: ClientWithSecret): ClientMetadata | undefined {
  const fields = client.oidc;
  if (!fields) return undefined;
  const usesCode = fields.grantTypes.includes('authorization_code');
  return {
    client_id: client.clientID,
    ...(client.name ? { client_name: client.name } : {}),
    redirect_uris: fields.redirectUris,
    post_logout_redirect_uris: fields.postLogoutRedirectUris,
    grant_types: fields.grantTypes,
    response_types: usesCode ? ['code'] : [],
    token_endpoint_auth_method: fields.tokenEndpointAuthMethod,
    ...(usesClientSecret(fields) ? { client_secret: client.secretHash ?? unusableSecret() } : {}),
    ...(fields.jwks ? { jwks: fields.jwks } : {}),
    ...(fields.jwksUri ? { jwks_uri: fields.jwksUri } : {}),
    // The provider takes only scopes it knows here; the permission strings go in a field of our own (resources.ts).
    scope: [...new Set(['openid', ...fields.scopes.filter((scope) => KNOWN_SCOPES.includes(scope))])].join(' '),
    permissionScopes: permissionScopesOf(fields.scopes),
    ...(fields.backchannelLogoutUri ? { backchannel_logout_uri: fields.backchannelLogoutUri, backchannel_logout_session_required: true } : {}),
    firstParty: fields.firstParty,
  };
}

/** A client's scopes that are permission strings (`orders:read`), not OpenID ones (config/oidc-client-rules.ts). */
export function permissionScopesOf(scopes: readonly string[]): string[] {
  return scopes.filter((scope) => !STANDARD_SCOPES.includes(scope));
}

/** A client that uses a secret but has none yet cannot authenticate: no presented secret hashes to this. */
function unusableSecret(): string {
  return '!no-secret';
}

/** The adapter of the provider's `Client` model: clients are read from the clients table on every request (no cache to go stale across nodes). */
export function clientAdapter(db: Kysely<DB>): Adapter {
  const refuse = async () => { throw new Error('clients are managed through /clients, not by the OpenID provider'); };
  return {
    async find(id: string): Promise<AdapterPayload | undefined> {
      const client = await findClientWithSecret(db, id);
      return client ? (clientMetadataOf(client) as AdapterPayload | undefined) : undefined;
    },
    upsert: refuse, consume: refuse, destroy: refuse, revokeByGrantId: refuse,
    findByUid: async () => undefined, findByUserCode: async () => undefined,
  };
}

/** The provider's secret check, on hashes (see `clientMetadataOf`). */
export function compareHashedSecret(this: { clientSecret?: string }, presented: string): boolean {
  return clientSecretMatches(this.clientSecret ?? null, presented);
}
