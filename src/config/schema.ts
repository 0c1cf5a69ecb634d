/**
 * Every configuration key of CONTRACT §2: the `Config` type, its defaults and its validation.
 * Each key is declared once in `SCHEMA`; the compiler checks the schema against `Config`.
 */
import { availableParallelism } from 'node:os';
import { describeValue } from './durations.js';
import {
  bool,
  duration,
  durationOrNever,
  field,
  int,
  joinPath,
  listOf,
  loose,
  nullable,
  oneOf,
  optionalSection,
  readSection,
  section,
  seconds,
  requiredStr,
  str,
  strList,
  asOneOf,
  type Ctx,
  type Field,
  type LooseSpec,
  type Spec,
} from './fields.js';
import { checkRules, deriveValues } from './rules.js';
import {
  assetUrl, baseUrl, casServerUrl, checkHttpUrl, cookieName, cookiePath, cronExpression, databaseUrl, emailAddress, hexColour, httpUrl, mailbox,
  oidcId, productName, regExpSource, url, urlOrPath,
} from './values.js';
import { trustProxyField, type TrustProxy } from './trust-proxy.js';
import { clientSeeds, type ClientSeed, type TokenMethod } from './client-seed.js';
import { resourceSpec, type OidcResource } from './oidc-resources.js';

export type { ClientSeed, TokenMethod };

/** Algorithms that may sign access tokens; why: RS512 is seed 000's, the others are common alternatives. */
export type TokenAlgorithm = 'RS512' | 'RS256' | 'ES256' | 'EdDSA' | 'HS512';
/**
 * The parsed, validated and frozen configuration; why: parsed once at start-up and passed down (DESIGN).
 * Durations are milliseconds unless a comment says SECONDS.
 */
export interface Config {
  server: { host: string; port: number; baseUrl: string; trustProxy: TrustProxy; trustEveryProxy: boolean };      // baseUrl default `http://localhost:<port>`, stored WITHOUT trailing slash
  database: { url: string };                       // default 'sqlite:./data/gatehouse.db'; accepts sqlite:<path>, sqlite::memory:, postgres:// or postgresql://
  redis: { url: string | null };
  tokens: { issuer: string; algorithm: TokenAlgorithm; hmacSecret: string | null;
    accessTokenTtl: number; refreshTokenTtl: number; refreshReuseInterval: number; apiKeyTtl: number;
    guestRefreshTokenTtl: number | null;          // null = 'never' (the default)
    guestIdleRemoval: number | null;              // null = 'never'; default 90d
    queryParameter: boolean; clientFormat: 'jwt' | 'opaque' };
  signup: { enabled: boolean; inviteOnly: boolean; alwaysConfirm: boolean; confirmationKey: string | null;
    confirmationTokenTtl: number; unconfirmedRemoval: number; tokenBeforeConfirmation: boolean };
  schedule: { cron: string };
  password: { login: 'on' | 'off' | 'whitelist'; whitelist: string[]; blacklist: string[]; requireCurrentPassword: boolean;
    resetTokenTtl: number;
    policy: { lowercase: boolean; uppercase: boolean; number: boolean; symbol: boolean; minLength: number; custom: string[] };
    hash: { algorithm: 'argon2id'; memoryCost: number; timeCost: number; parallelism: number; concurrency: number } };
      // hash defaults: memoryCost 19456 (KiB), timeCost 2, parallelism 1, concurrency = os.availableParallelism()
  httpBasic: { enabled: boolean };
  cookie: { name: string; path: string; httpOnly: boolean; secure: boolean; sameSite: 'strict' | 'lax' | 'none';
    maxAge: number;                                 // SECONDS, -1 = session cookie
    refreshExpirationOnAccess: boolean };           // path: 'auto' resolved to baseUrl's pathname without trailing slash ('/' at the root); sameSite 'none' forces secure = true
  lockout: { maxAttempts: number; duration: number; admins: boolean };   // maxAttempts -1 disables
  admin: { username: string; email: string; passwordOverride: string | null;
    initialPassword: string | null };               // ONLY from env GATEHOUSE_ADMIN_PASSWORD
  email: { from: string; smtpUrl: string | null; outboxDir: string };   // outboxDir is our addition, default './data/outbox'
  clients: ClientSeed[];                            // config/client-seed.ts; tokenMethod: a string or a list in input, normalised to a list; default ['query']
  providers: { google: { clientId: string; clientSecret: string; scopes: string[]; issuer: string } | null;
    facebook: { clientId: string; clientSecret: string; scopes: string[]; authorizationUrl: string; tokenUrl: string; userInfoUrl: string } | null;
    oidc: Array<{ id: string; name: string; issuer: string; clientId: string; clientSecret: string; scopes: string[] }> };
  saml: { enabled: boolean; relyingPartyId: string | null; assertionConsumerServiceUrl: string;  // default `<baseUrl>/auth/saml`
    idpMetadataUrl: string | null; idpMetadataMaxAge: number;   // ms; input bare number = SECONDS; default 604800 s
    userAutoProvisioning: boolean; redirectMethod: 'get' | 'post'; redirectSuccessUrl: string | null; redirectFailureUrl: string | null;
    maxAge: number;                                  // SECONDS; default = cookie.maxAge
    allowIdpInitiated: boolean };                    // accept unsolicited Responses (no InResponseTo); default false
  cas: { enabled: boolean; version: 'cas1' | 'cas2' | 'cas3' | 'saml11'; serverUrl: string | null; loginUrl: string | null;
    maxAge: number; userAutoProvisioning: boolean; redirectSuccessUrl: string | null; redirectFailureUrl: string | null };  // maxAge SECONDS, default cookie.maxAge; serverUrl ends in '/'
  https: { disableVerification: boolean };
  gateway: { internalTokenTtl: number };
  rateLimit: { enabled: boolean; window: number; login: number; register: number; forgotPassword: number; emailAvailable: number };
  audit: { retention: number };                     // events older than this are removed by the clean-up
  mfa: { totp: { enabled: boolean; issuer: string };   // issuer default tokens.issuer
    webauthn: { enabled: boolean; rpId: string; rpName: string; origins: string[] };   // rpId default baseUrl's host, origins default [baseUrl's origin]
    requiredFor: string[];                          // role names, or ['all']
    trustProviders: boolean; challengeTtl: number };
  oidc: { enabled: boolean; issuer: string;         // Gatehouse as an OpenID provider; issuer default server.baseUrl (a URL)
    accessTokenTtl: number; refreshTokenTtl: number; consent: 'explicit' | 'implicit';  // implicit: no consent page for any client
    store: 'database' | 'redis';                    // where the provider's records live; redis requires redis.url
    resources: OidcResource[] };                    // the APIs access tokens are for (oidc-resources.ts)
  branding: { productName: string;                // theme of every hosted page (pages/layout.ts)
    logoUrl: string | null; css: string | null;     // an http(s) URL or a path on this server ("/brand/logo.svg")
    primaryColor: string | null };                  // '#rgb' or '#rrggbb', lower-cased
}

/** Google sign-in settings; why: the providers module takes it without repeating the shape. */
export type GoogleProviderConfig = NonNullable<Config['providers']['google']>;
/** Facebook sign-in settings. */
export type FacebookProviderConfig = NonNullable<Config['providers']['facebook']>;
/** One generic OpenID Connect provider. */
export type OidcProviderConfig = Config['providers']['oidc'][number];

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const OPENID_SCOPES = ['openid', 'email', 'profile'] as const;

const rootOf = (ctx: Ctx): Config => ctx.root as unknown as Config;

/** password.login also takes YAML booleans: true → on, false → off. */
const passwordLogin = field((raw) => {
  if (raw === true) return 'on' as const;
  if (raw === false) return 'off' as const;
  return asOneOf(['on', 'off', 'whitelist'] as const, raw);
}, 'on' as const);

/** lockout.maxAttempts: -1 disables lockout (seed 004); 0 would lock everyone out at once. */
const maxAttempts = int(5, -1, Number.MAX_SAFE_INTEGER, 'an integer ≥ -1 and not 0');
const lockoutAttempts: Field<number> = {
  ...maxAttempts,
  read(raw, path, ctx) {
    const value = maxAttempts.read(raw, path, ctx);
    if (value !== 0) return value;
    ctx.problems.push(`${path}: must be an integer ≥ -1 and not 0 (got ${describeValue(raw)})`);
    return 5;
  },
};

const positiveInt = (fallback: number): Field<number> => int(fallback, 1, Number.MAX_SAFE_INTEGER, 'a positive integer');
const secret = (): Field<string | null> => nullable(requiredStr());

/* ---------------------------------------------------------------- the schema */

const googleSpec: Spec<GoogleProviderConfig> = {
  clientId: requiredStr(),
  clientSecret: requiredStr(),
  scopes: strList(OPENID_SCOPES),
  issuer: httpUrl('https://accounts.google.com'),
};

const facebookSpec: Spec<FacebookProviderConfig> = {
  clientId: requiredStr(),
  clientSecret: requiredStr(),
  scopes: strList(['email', 'public_profile']),
  authorizationUrl: httpUrl('https://www.facebook.com/v19.0/dialog/oauth'),
  tokenUrl: httpUrl('https://graph.facebook.com/v19.0/oauth/access_token'),
  userInfoUrl: httpUrl('https://graph.facebook.com/me?fields=id,name,email'),
};

const oidcSpec: Spec<OidcProviderConfig> = {
  id: requiredStr(oidcId),
  name: str(''), // '' = not given; replaced by the id after reading
  issuer: requiredStr(checkHttpUrl),
  clientId: requiredStr(),
  clientSecret: requiredStr(),
  scopes: strList(OPENID_SCOPES),
};

/** The schema of every key; why: one declaration yields defaults, validation, env names and the key list. */
export const SCHEMA: Spec<Config> = {
  server: section({
    host: str('0.0.0.0'),
    port: int(8080, 0, 65535),
    baseUrl: str((ctx) => `http://localhost:${rootOf(ctx).server.port}`, baseUrl),
    trustProxy: trustProxyField,
    trustEveryProxy: bool(false),
  }),
  database: section({ url: str('sqlite:./data/gatehouse.db', databaseUrl) }),
  redis: section({ url: nullable(url(['redis:', 'rediss:'], 'a redis:// or rediss:// URL')) }),
  tokens: section({
    issuer: str('gatehouse'),
    algorithm: oneOf(['RS512', 'RS256', 'ES256', 'EdDSA', 'HS512'] as const, 'RS512'),
    hmacSecret: secret(),
    accessTokenTtl: duration(HOUR, { positive: true }),
    refreshTokenTtl: duration(30 * DAY, { positive: true }),
    refreshReuseInterval: duration(10 * SECOND),
    apiKeyTtl: duration(100 * 365 * DAY, { positive: true }),
    guestRefreshTokenTtl: durationOrNever(null),
    guestIdleRemoval: durationOrNever(90 * DAY),
    queryParameter: bool(true),
    clientFormat: oneOf(['jwt', 'opaque'] as const, 'jwt'),
  }),
  signup: section({
    enabled: bool(true),
    inviteOnly: bool(false),
    alwaysConfirm: bool(false),
    confirmationKey: secret(),
    confirmationTokenTtl: duration(3 * DAY, { positive: true }),
    unconfirmedRemoval: duration(7 * DAY, { positive: true }),
    // Seed 000: the hosted registration delivers a token at once; false: the confirmation link delivers it.
    tokenBeforeConfirmation: bool(true),
  }),
  schedule: section({ cron: str('0 3 * * *', cronExpression) }),
  password: section({
    login: passwordLogin,
    whitelist: strList([]),
    blacklist: strList([]),
    requireCurrentPassword: bool(true),
    resetTokenTtl: duration(24 * HOUR, { positive: true }),
    policy: section({
      lowercase: bool(true),
      uppercase: bool(true),
      number: bool(true),
      symbol: bool(false),
      minLength: int(10, 1, 2048),
      custom: strList([], regExpSource),
    }),
    hash: section({
      algorithm: oneOf(['argon2id'] as const, 'argon2id'),
      memoryCost: int(19456, 8),
      timeCost: int(2, 1),
      parallelism: int(1, 1, 255),
      concurrency: int(availableParallelism(), 1),
    }),
  }),
  httpBasic: section({ enabled: bool(false) }),
  cookie: section({
    name: str('auth_token', cookieName),
    path: str('auto', cookiePath),
    httpOnly: bool(true),
    secure: bool(true),
    sameSite: oneOf(['strict', 'lax', 'none'] as const, 'strict'),
    maxAge: seconds(86_400),
    refreshExpirationOnAccess: bool(false),
  }),
  lockout: section({
    maxAttempts: lockoutAttempts,
    duration: duration(5 * MINUTE, { positive: true }),
    admins: bool(true),
  }),
  admin: section({
    username: str('admin'),
    email: str('admin@localhost', emailAddress),
    passwordOverride: secret(),
    initialPassword: field((): string | null => null, null, { internal: true }),
  }),
  email: section({
    from: str('Gatehouse <no-reply@localhost>', mailbox),
    smtpUrl: nullable(url(['smtp:', 'smtps:'], 'an smtp:// or smtps:// URL')),
    outboxDir: str('./data/outbox'),
  }),
  clients: clientSeeds,
  providers: section({
    google: optionalSection(googleSpec),
    facebook: optionalSection(facebookSpec),
    oidc: listOf(oidcSpec),
  }),
  saml: section({
    enabled: bool(false),
    relyingPartyId: nullable(requiredStr()),
    assertionConsumerServiceUrl: httpUrl((ctx) => `${rootOf(ctx).server.baseUrl}/auth/saml`),
    idpMetadataUrl: nullable(url(['file:', 'http:', 'https:'], 'a file:// or https:// URL')),
    idpMetadataMaxAge: duration(604_800 * SECOND, { bareUnit: 's' }),
    userAutoProvisioning: bool(false),
    redirectMethod: oneOf(['get', 'post'] as const, 'get'),
    redirectSuccessUrl: nullable(requiredStr(urlOrPath)),
    redirectFailureUrl: nullable(requiredStr(urlOrPath)),
    maxAge: seconds((ctx) => rootOf(ctx).cookie.maxAge),
    allowIdpInitiated: bool(false),
  }),
  cas: section({
    enabled: bool(false),
    version: oneOf(['cas1', 'cas2', 'cas3', 'saml11'] as const, 'cas2'),
    serverUrl: nullable(requiredStr(casServerUrl)),
    loginUrl: nullable(requiredStr(checkHttpUrl)),
    maxAge: seconds((ctx) => rootOf(ctx).cookie.maxAge),
    userAutoProvisioning: bool(false),
    redirectSuccessUrl: nullable(requiredStr(urlOrPath)),
    redirectFailureUrl: nullable(requiredStr(urlOrPath)),
  }),
  https: section({ disableVerification: bool(false) }),
  gateway: section({ internalTokenTtl: duration(60 * SECOND, { positive: true }) }),
  rateLimit: section({
    enabled: bool(true),
    window: duration(MINUTE, { positive: true }),
    login: positiveInt(30),
    register: positiveInt(10),
    forgotPassword: positiveInt(5),
    emailAvailable: positiveInt(30),
  }),
  audit: section({ retention: duration(400 * DAY, { positive: true }) }),
  mfa: section({
    totp: section({ enabled: bool(true), issuer: str((ctx) => rootOf(ctx).tokens.issuer) }),
    webauthn: section({
      enabled: bool(true),
      rpId: str((ctx) => new URL(rootOf(ctx).server.baseUrl).hostname),
      rpName: str('Gatehouse'),
      origins: strList([], checkHttpUrl),
    }),
    requiredFor: strList([]),
    trustProviders: bool(true),
    challengeTtl: duration(5 * MINUTE, { positive: true }),
  }),
  oidc: section({
    enabled: bool(true),
    issuer: str((ctx) => rootOf(ctx).server.baseUrl, baseUrl),
    accessTokenTtl: duration(10 * MINUTE, { positive: true }),
    refreshTokenTtl: duration(30 * DAY, { positive: true }),
    consent: oneOf(['explicit', 'implicit'] as const, 'explicit'),
    store: oneOf(['database', 'redis'] as const, 'database'),
    resources: listOf(resourceSpec),
  }),
  branding: section({
    productName: str('Gatehouse', productName),
    logoUrl: nullable(requiredStr(assetUrl)),
    primaryColor: nullable(requiredStr(hexColour)),
    css: nullable(requiredStr(assetUrl)),
  }),
};

/** The schema without types, for walkers (env mapping, key list). */
export const LOOSE_SCHEMA: LooseSpec = loose(SCHEMA);

/**
 * Every settable key path (`lockout.maxAttempts`, `clients[].clientID`, …).
 * Why: `config check`, docs and the env mapper enumerate keys from the schema, not from a hand-kept list.
 */
export const CONFIG_KEYS: readonly string[] = Object.freeze(listKeys(LOOSE_SCHEMA, ''));

function listKeys(spec: LooseSpec, prefix: string): string[] {
  return Object.entries(spec).flatMap(([key, node]): string[] => {
    const path = joinPath(prefix, key);
    if (node.kind === 'section') return listKeys(node.fields, path);
    if (node.internal) return [];
    if (node.children) return listKeys(node.children.spec, node.children.list ? `${path}[]` : path);
    return [path];
  });
}


/**
 * Reads and validates an input object (file merged with env) into a `Config`, collecting every problem.
 * Why: the loader needs all problems at once; the result is not frozen yet so the caller can finish it.
 */
export function validateConfig(input: unknown): { config: Config; problems: string[] } {
  const root: Record<string, unknown> = {};
  const ctx: Ctx = { problems: [], root };
  readSection(LOOSE_SCHEMA, input, '', ctx, root);
  const config = root as unknown as Config;
  deriveValues(config);
  checkRules(config, ctx.problems);
  return { config, problems: ctx.problems };
}
