import { hkdfSync } from 'node:crypto';
import type { JWK } from 'jose';
import type { Kysely } from 'kysely';
import Provider, { errors, type Client, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { AccountService } from '../accounts/account.service.js';
import type { Clock } from '../clock.js';
import { isLoopback, type Config } from '../config/index.js';
import type { DB } from '../db/types.js';
import { oidcAdapter, type RecordStore } from './adapter.js';
import { accountFinder, KNOWN_SCOPES, SCOPE_CLAIMS } from './claims.js';
import { clientAdapter, compareHashedSecret } from './client-metadata.js';
import { INTERACTION_PATH, PROVIDER_ROUTES } from './routes.js';
import { ACR_VALUES } from './interaction.js';
import { claimsParameterFeature, gatehousePolicy } from './acr.js';
import { PROVIDER_ALGORITHMS } from '../tokens/signing-keys.js';
import { providerPages } from './provider-pages.js';
import { refuseUnknownScopes, resourceIndicators, SCOPE_CHECK } from './resources.js';

/** What the provider is built from. */
export interface ProviderDeps {
  config: Config;
  db: Kysely<DB>;
  /** Where the provider's records live (`oidc.store`). */
  records: RecordStore;
  clock: Clock;
  accounts: Pick<AccountService, 'view'>;
  /** The server secret: the provider's cookie keys are derived from it. */
  serverKey: string;
  /** Ends a Gatehouse session, audited as a logout (RP-initiated logout). */
  endGatehouseSession(sessionId: string): Promise<void>;
}

/** What an interaction of ours hands to the provider beside the login: the Gatehouse session it signed in with. */
export interface GatehouseResult {
  gatehouse?: { sessionId: string };
}

/**
 * Builds node-oidc-provider with Gatehouse's storage, accounts, clients and keys (CONTRACT §5 "OpenID Connect
 * provider"). Why a function of the keys: the provider's key set is fixed when it is built, so a rotation builds it
 * anew (oidc-provider/mount.ts); everything else it holds lives in the database (or Redis, `oidc.store`).
 */
export function buildProvider(deps: ProviderDeps, keys: JWK[]): Provider {
  const { config, db, clock } = deps;
  const sessionLink = {
    signedInSessionId: () => (Provider.ctx?.oidc.result as GatehouseResult | undefined)?.gatehouse?.sessionId,
    isLogout: () => Provider.ctx?.oidc.route === 'end_session_confirm' && Boolean(Provider.ctx.oidc.params?.logout),
    endGatehouseSession: deps.endGatehouseSession,
    currentRequest: () => Provider.ctx,
  };
  const records = oidcAdapter(deps.records, clock, sessionLink);
  const pages = providerPages(config.branding);
  const configuration: Configuration = {
    renderError: pages.renderError,
    adapter: (model: string) => (model === 'Client' ? clientAdapter(db) : records(model)),
    findAccount: accountFinder(deps.accounts),
    claims: { sid: null, iss: null, ...Object.fromEntries(Object.entries(SCOPE_CLAIMS).map(([scope, claims]) => [scope, [...claims]])) },
    scopes: KNOWN_SCOPES,
    // Scope claims in the ID token too (as Keycloak does), so an app that reads only the ID token has them.
    conformIdTokenClaims: false,
    acrValues: ACR_VALUES,
    extraClientMetadata: { properties: ['firstParty', 'permissionScopes'] },
    extraParams: { [SCOPE_CHECK]: refuseUnknownScopes },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    enabledJWA: { idTokenSigningAlgValues: [...PROVIDER_ALGORITHMS], clientAuthSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA'] },
    jwks: { keys: keys as NonNullable<Configuration['jwks']>['keys'] },
    responseTypes: ['code'],
    pkce: { required: () => true },
    routes: PROVIDER_ROUTES,
    // The provider's policy, and a step-up when `acr_values` prefers the multi-factor class (acr.ts).
    interactions: { policy: gatehousePolicy(), url: (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}` },
    cookies: { keys: [cookieKey(deps.serverKey)], long: { sameSite: 'lax' }, short: { sameSite: 'lax' } },
    ttl: {
      // An API of the register may set its own lifetime (oidc.resources[].accessTokenTtl, resources.ts).
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? seconds(config.oidc.accessTokenTtl),
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? seconds(config.oidc.accessTokenTtl),
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Grant: seconds(config.oidc.refreshTokenTtl),
      RefreshToken: seconds(config.oidc.refreshTokenTtl),
      Session: seconds(config.oidc.refreshTokenTtl),
    },
    // A refresh token for every client allowed the grant, rotated on use; a reused one revokes the grant.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    fetch: loopbackAware,
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // Resource servers are clients too: one that authenticates may ask about any token (public clients are refused
      // before this, refusePublicIntrospection; the rule here is the second line of that defence).
      introspection: { enabled: true, allowedPolicy: async (ctx, client, token) => client.clientAuthMethod !== 'none' || token.clientId === ctx.oidc.client?.clientId },
      revocation: { enabled: true, allowedPolicy: revokesOwnTokensOnly },
      userinfo: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: pages.logout,
      resourceIndicators: resourceIndicators(config),
      claimsParameter: claimsParameterFeature,
    },
  };
  const provider = new Provider(config.oidc.issuer, configuration);
  // Why replaced: secrets are stored as hashes (client-metadata.ts); the provider compares plaintexts.
  (provider.Client.prototype as unknown as { compareClientSecret: typeof compareHashedSecret }).compareClientSecret = compareHashedSecret;
  // Headers are rewritten by the mount from Fastify's own reading of the trusted proxies (server.trustProxy).
  provider.proxy = true;
  provider.use(refusePublicIntrospection);
  return provider;
}

/**
 * The provider's outgoing requests (back-channel logout, a client's `jwks_uri`) refuse private and special-use
 * addresses (its SSRF guard) — except a loopback address written as such in the URL, which client registration admits
 * for services on the same host (config/oidc-client-rules.ts); a name that resolves to one stays refused.
 */
function loopbackAware(input: string | URL | Request, options: RequestInit & { dispatcher?: unknown } = {}): Promise<Response> {
  const url = input instanceof Request ? input.url : input;
  if (!isLoopback(new URL(url).hostname)) return globalThis.fetch(input, options);
  const { dispatcher: _guard, ...direct } = options;
  return globalThis.fetch(input, direct);
}

/** The provider signs its cookies with a key of its own, derived from the server secret (so every node agrees). */
function cookieKey(serverKey: string): string {
  return Buffer.from(hkdfSync('sha256', serverKey, 'gatehouse', 'oidc-provider cookies', 32)).toString('base64url');
}

function seconds(milliseconds: number): number {
  return Math.max(1, Math.floor(milliseconds / 1000));
}

export type { KoaContextWithOIDC };

/**
 * RFC 7009 §2.1: a client revokes only tokens issued to it. Another confidential client is told so (`invalid_request`);
 * a public one is answered 200 and nothing is revoked, so that it cannot probe which tokens exist.
 */
async function revokesOwnTokensOnly(_ctx: KoaContextWithOIDC, client: Client, token: { clientId?: string | undefined }): Promise<boolean> {
  if (token.clientId === client.clientId) return true;
  if (client.clientAuthMethod === 'none') return false;
  throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
}

/**
 * CONTRACT §5: introspection is for authenticated clients (RFC 7662 §2.1: the endpoint must require authorization,
 * against token scanning). A public client (`none`) is answered 401 `invalid_client` whatever the token — decided
 * after the provider's answer and replacing it whole, so that the answer never tells whether the token exists.
 */
async function refusePublicIntrospection(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
  await next();
  if (ctx.oidc?.route !== 'introspection' || ctx.oidc.client?.clientAuthMethod !== 'none') return;
  ctx.status = 401;
  ctx.body = { error: 'invalid_client', error_description: 'introspection is for clients that authenticate (RFC 7662 §2.1); a public client cannot use it' };
}
