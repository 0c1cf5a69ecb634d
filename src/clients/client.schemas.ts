import { Type, type Static } from 'typebox';
import type { TokenMethod } from '../config/index.js';
import { MAX_CLIENT_NAME_LENGTH } from '../config/values.js';
import { halListSchema, halSchema, PageQuery } from '../http/hal.js';
import { PrintableText, problemResponses } from '../http/schemas.js';

/*
 * One declaration of the client rules (seed 000 "Client registration"): the route schemas below and the checks
 * in client.service.ts (shared with the CLI) read the same constants.
 */

/** A clientID: URL-safe, at most 128 characters, and not `.`/`..`, which URL normalisation would eat out of `/clients/{clientID}`. */
export const CLIENT_ID_PATTERN = '^(?!\\.{1,2}$)[A-Za-z0-9._-]{1,128}$';
/** Longest callbackURL accepted, as browsers and proxies reliably carry ~2 KB URLs. */
export const MAX_CALLBACK_URL_LENGTH = 2048;
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

export const ClientCreateBody = Type.Object(
  { clientID: ClientIdSchema, callbackURL: CallbackUrlSchema, config: Type.Optional(ClientConfigInput), name: Type.Optional(ClientNameSchema) },
  { additionalProperties: false },
);

/** PUT replaces callbackURL, config and name; a clientID in the body is allowed only when it names the same client. */
export const ClientReplaceBody = Type.Object(
  { clientID: Type.Optional(ClientIdSchema), callbackURL: CallbackUrlSchema, config: Type.Optional(ClientConfigInput), name: Type.Optional(ClientNameSchema) },
  { additionalProperties: false },
);

/**
 * The path parameter is looser than a new clientID: clients declared in the configuration file may carry ids the
 * API would not create, and must still be reachable. Control characters are bad input (PostgreSQL refuses NUL).
 */
export const ClientParams = Type.Object({ clientID: PrintableText(1024) });

export const ClientListQuery = Type.Object(PageQuery);

/** A client as the API shows it: HAL with `self`, `collection` and `curies`. */
export const ClientResource = halSchema(
  {
    clientID: Type.String(),
    callbackURL: Type.String(),
    config: Type.Object({ tokenMethod: Type.Array(Type.String()), disableStrategies: Type.Array(Type.String()) }),
    name: Type.Optional(Type.String({ description: 'Display name on the hosted pages; absent when none was given' })),
  },
  { $id: 'Client', description: 'A registered client (seed 000)' },
);

export const ClientList = halListSchema('ec:client', ClientResource);

/** The errors of the `/clients` routes: no password is hashed there, so no `overloaded`. */
export const clientErrors = problemResponses('invalid-request', 'unauthorized', 'forbidden', 'not-found', 'conflict', 'rate-limited');

export type ClientCreate = Static<typeof ClientCreateBody>;
export type ClientReplace = Static<typeof ClientReplaceBody>;
export type ClientConfigInputType = Static<typeof ClientConfigInput>;
