import { Type, type Static } from 'typebox';
import type { TokenMethod } from '../config/index.js';
import { MAX_CLIENT_NAME_LENGTH } from '../config/values.js';
import { halListSchema, halSchema, PageQuery } from '../http/hal.js';
import { PrintableText, problemResponses } from '../http/schemas.js';
import { MAX_CLIENT_URL_LENGTH } from '../config/client-urls.js';
import { MAX_CLIENT_JWKS_KEYS } from '../config/oidc-client-jwks.js';
import { OIDC_AUTH_METHODS, OIDC_GRANT_TYPES } from '../config/oidc-client-fields.js';
import { MAX_CLIENT_SCOPES, MAX_CLIENT_URIS, MAX_SCOPE_LENGTH, SCOPE_PATTERN } from '../config/oidc-client-rules.js';

/*
 * One declaration of the client rules (seed 000 "Client registration"): the route schemas below and the checks
 * in client.service.ts (shared with the CLI) read the same constants.
 */

/** A clientID: URL-safe, at most 128 characters, and not `.`/`..`, which URL normalisation would eat out of `/clients/{clientID}`. */
export const CLIENT_ID_PATTERN = '^(?!\\.{1,2}$)[A-Za-z0-9._-]{1,128}$';
/** Longest callbackURL accepted (client-urls.ts). */
export const MAX_CALLBACK_URL_LENGTH = MAX_CLIENT_URL_LENGTH;
/** How a token may be handed over (seed 000); the order is the config's. */
export const TOKEN_METHODS: readonly TokenMethod[] = ['query', 'cookie', 'body'];
/** Login strategies a client can turn off: the built-in ones, and one generic OIDC provider as `oidc:<id>`. */
export const STRATEGIES = ['password', 'google', 'facebook', 'oidc', 'saml', 'cas'] as const;
/** `oidc:<id>` uses the same id rule as `providers.oidc[].id`. */
export const STRATEGY_PATTERN = `^(${STRATEGIES.join('|')}|oidc:[a-z0-9][a-z0-9_-]{0,63})$`;

const TokenMethodSchema = Type.Union([Type.Literal('query'), Type.Literal('cookie'), Type.Literal('body')], { description: 'query, cookie or body' });

export const ClientIdSchema = Type.String({ pattern: CLIENT_ID_PATTERN, description: 'Letters, digits and . _ - ; 1 to 128 characters' });
export const CallbackUrlSchema = Type.String({
  minLength: 1,
  maxLength: MAX_CALLBACK_URL_LENGTH,
  description: 'Absolute http(s) URL, no userinfo, no fragment; tokens are delivered only to exactly this URL',
});

/** `config` in requests: tokenMethod as one method or a list (normalised to a list), defaults as in the configuration file. */
export const ClientConfigInput = Type.Object(
  {
    tokenMethod: Type.Optional(Type.Union([TokenMethodSchema, Type.Array(TokenMethodSchema, { minItems: 1, maxItems: 3 })], { description: 'default query' })),
    disableStrategies: Type.Optional(Type.Array(Type.String({ pattern: STRATEGY_PATTERN }), { maxItems: 32, description: `any of ${STRATEGIES.join(', ')} or oidc:<id>; default none` })),
  },
  { additionalProperties: false },
);

/** The name the hosted pages show ("Sign in to Demo App"); the rule is the configuration's (config/values.ts). */
export const ClientNameSchema = Type.String({
  minLength: 1, maxLength: MAX_CLIENT_NAME_LENGTH, pattern: '^[^\\u0000-\\u001f\\u007f]*\\S[^\\u0000-\\u001f\\u007f]*$',
  description: `Display name on the hosted pages, 1 to ${MAX_CLIENT_NAME_LENGTH} characters; optional`,
});

const OidcUri = (what: string) => Type.String({
  minLength: 1, maxLength: MAX_CLIENT_URL_LENGTH,
  description: `${what}: absolute https:// URL (http:// only on localhost, 127.0.0.0/8 or [::1]), no userinfo, no fragment; matched exactly`,
});
const UriList = (what: string) => Type.Array(OidcUri(what), { maxItems: MAX_CLIENT_URIS, description: `at most ${MAX_CLIENT_URIS}` });
/** Enums, not unions of literals: a wrong value is then one problem ("must be equal to one of the allowed values"), not two. */
const GrantType = Type.Enum([...OIDC_GRANT_TYPES]);
const AuthMethod = Type.Enum([...OIDC_AUTH_METHODS], {
  description: 'default client_secret_basic; none = public client (PKCE); private_key_jwt needs jwks or jwksUri',
});
const Scope = Type.String({ minLength: 1, maxLength: MAX_SCOPE_LENGTH, pattern: SCOPE_PATTERN });
const JwkSet = Type.Object(
  { keys: Type.Array(Type.Record(Type.String(), Type.Unknown()), { minItems: 1, maxItems: MAX_CLIENT_JWKS_KEYS }) },
  { description: 'JWK Set of public signing keys (RSA ≥ 2048 bits, EC, OKP); private members such as "d" are refused' },
);

/**
 * The OpenID fields a request may give (CONTRACT §5 "OpenID Connect provider"). Giving any makes the client an OpenID
 * client, the others taking their defaults; giving none leaves it a seed-000 client. Rules: config/oidc-client-rules.ts.
 */
const OidcInput = {
  redirectUris: Type.Optional(UriList('Where authorization codes may be sent; required for authorization_code')),
  postLogoutRedirectUris: Type.Optional(UriList('Where RP-initiated logout may return')),
  grantTypes: Type.Optional(Type.Array(GrantType, { minItems: 1, maxItems: 3, description: 'default [authorization_code, refresh_token]; refresh_token needs authorization_code' })),
  tokenEndpointAuthMethod: Type.Optional(AuthMethod),
  scopes: Type.Optional(Type.Array(Scope, { maxItems: MAX_CLIENT_SCOPES, description: 'default [openid, profile, email, offline_access]; also roles, groups and permission strings the caller holds' })),
  firstParty: Type.Optional(Type.Boolean({ description: 'default false; a first-party client skips the consent page' })),
  backchannelLogoutUri: Type.Optional(Type.Union([OidcUri('OIDC Back-Channel Logout endpoint'), Type.Null()])),
  jwks: Type.Optional(Type.Union([JwkSet, Type.Null()])),
  jwksUri: Type.Optional(Type.Union([OidcUri('Where the client publishes its JWK Set (private_key_jwt)'), Type.Null()])),
};

export const ClientCreateBody = Type.Object(
  { clientID: ClientIdSchema, callbackURL: CallbackUrlSchema, config: Type.Optional(ClientConfigInput), name: Type.Optional(ClientNameSchema), ...OidcInput },
  { additionalProperties: false },
);

/** PUT replaces callbackURL, config, name and the OpenID fields; a clientID in the body is allowed only when it names the same client. */
export const ClientReplaceBody = Type.Object(
  { clientID: Type.Optional(ClientIdSchema), callbackURL: CallbackUrlSchema, config: Type.Optional(ClientConfigInput), name: Type.Optional(ClientNameSchema), ...OidcInput },
  { additionalProperties: false },
);

/**
 * The path parameter is looser than a new clientID: clients declared in the configuration file may carry ids the
 * API would not create, and must still be reachable. Control characters are bad input (PostgreSQL refuses NUL).
 */
export const ClientParams = Type.Object({ clientID: PrintableText(1024) });

export const ClientListQuery = Type.Object(PageQuery);

/** The OpenID fields as answers show them: all present on an OpenID client, none on a seed-000 client. */
const OidcOutput = {
  redirectUris: Type.Optional(Type.Array(Type.String())),
  postLogoutRedirectUris: Type.Optional(Type.Array(Type.String())),
  grantTypes: Type.Optional(Type.Array(Type.String())),
  tokenEndpointAuthMethod: Type.Optional(Type.String()),
  scopes: Type.Optional(Type.Array(Type.String())),
  firstParty: Type.Optional(Type.Boolean()),
  backchannelLogoutUri: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  jwks: Type.Optional(Type.Union([Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown())) }), Type.Null()])),
  jwksUri: Type.Optional(Type.Union([Type.String(), Type.Null()])),
};

const clientProperties = {
  clientID: Type.String(),
  callbackURL: Type.String(),
  config: Type.Object({ tokenMethod: Type.Array(Type.String()), disableStrategies: Type.Array(Type.String()) }),
  name: Type.Optional(Type.String({ description: 'Display name on the hosted pages; absent when none was given' })),
  ...OidcOutput,
};

const SECRET_NOTE = 'shown only in this answer and stored hashed: keep it now';

/** A client as the API shows it: HAL with `self`, `collection` and `curies`; never its secret. */
export const ClientResource = halSchema(clientProperties, { $id: 'Client', description: 'A registered client (seed 000), with its OpenID fields when it is an OpenID client' });

/** The answer of a change (POST, PUT): the client, and `clientSecret` when the change generated one. */
export const ClientChanged = halSchema(
  { ...clientProperties, clientSecret: Type.Optional(Type.String({ description: `The generated client secret, ${SECRET_NOTE}` })) },
  { $id: 'ClientChanged', description: 'A registered client, with its new secret when this change generated one' },
);

/** The answer of `POST /clients/{clientID}/secret`: the client and its new secret. */
export const ClientWithNewSecret = halSchema(
  { ...clientProperties, clientSecret: Type.String({ description: `The new client secret, ${SECRET_NOTE}; the previous one no longer works` }) },
  { $id: 'ClientWithNewSecret', description: 'A client with its rotated secret' },
);

export const ClientList = halListSchema('ec:client', ClientResource);

/** The errors of the `/clients` routes: no password is hashed there, so no `overloaded`. */
export const clientErrors = problemResponses('invalid-request', 'unauthorized', 'forbidden', 'not-found', 'conflict', 'rate-limited');

export type ClientCreate = Static<typeof ClientCreateBody>;
export type ClientReplace = Static<typeof ClientReplaceBody>;
export type ClientConfigInputType = Static<typeof ClientConfigInput>;
