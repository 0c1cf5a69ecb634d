import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CONFIG_KEYS,
  ConfigError,
  envVarName,
  loadConfig,
  maskSecrets,
  parseConfig,
  parseDuration,
  type Config,
} from '../src/config/index.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Runs parseConfig expecting a ConfigError and returns its problem lines. */
function problemsOf(input: unknown, env: Record<string, string | undefined> = {}): readonly string[] {
  try {
    parseConfig(input, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.message).toBe(configError.problems.join('\n'));
    return configError.problems;
  }
  throw new Error('expected a ConfigError');
}

describe('defaults', () => {
  it('equal CONTRACT §2', () => {
    const expected: Config = {
      server: { host: '0.0.0.0', port: 8080, baseUrl: 'http://localhost:8080', trustProxy: false, trustEveryProxy: false },
      database: { url: 'sqlite:./data/gatehouse.db' },
      redis: { url: null },
      tokens: {
        issuer: 'gatehouse', algorithm: 'RS512', hmacSecret: null, accessTokenTtl: HOUR, refreshTokenTtl: 30 * DAY,
        refreshReuseInterval: 10 * SECOND, apiKeyTtl: 100 * 365 * DAY, guestRefreshTokenTtl: null, guestIdleRemoval: 90 * DAY,
        queryParameter: true, clientFormat: 'jwt',
      },
      signup: { enabled: true, inviteOnly: false, alwaysConfirm: false, confirmationKey: null, confirmationTokenTtl: 3 * DAY, unconfirmedRemoval: 7 * DAY },
      schedule: { cron: '0 3 * * *' },
      password: {
        login: 'on', whitelist: [], blacklist: [], requireCurrentPassword: true, resetTokenTtl: 24 * HOUR,
        policy: { lowercase: true, uppercase: true, number: true, symbol: false, minLength: 10, custom: [] },
        hash: { algorithm: 'argon2id', memoryCost: 19456, timeCost: 2, parallelism: 1, concurrency: availableParallelism() },
      },
      httpBasic: { enabled: false },
      cookie: { name: 'auth_token', path: '/', httpOnly: true, secure: true, sameSite: 'strict', maxAge: 86400, refreshExpirationOnAccess: false },
      lockout: { maxAttempts: 5, duration: 5 * MINUTE, admins: true },
      admin: { username: 'admin', email: 'admin@localhost', passwordOverride: null, initialPassword: null },
      email: { from: 'Gatehouse <no-reply@localhost>', smtpUrl: null, outboxDir: './data/outbox' },
      clients: [],
      providers: { google: null, facebook: null, oidc: [] },
      saml: {
        enabled: false, relyingPartyId: null, assertionConsumerServiceUrl: 'http://localhost:8080/auth/saml', idpMetadataUrl: null,
        idpMetadataMaxAge: 604800 * SECOND, userAutoProvisioning: false, redirectMethod: 'get', redirectSuccessUrl: null,
        redirectFailureUrl: null, maxAge: 86400,
        allowIdpInitiated: false,
      },
      cas: {
        enabled: false, version: 'cas2', serverUrl: null, loginUrl: null, maxAge: 86400, userAutoProvisioning: false,
        redirectSuccessUrl: null, redirectFailureUrl: null,
      },
      https: { disableVerification: false },
      gateway: { internalTokenTtl: 60 * SECOND },
      rateLimit: { enabled: true, window: MINUTE, login: 30, register: 10, forgotPassword: 5, emailAvailable: 30 },
      audit: { retention: 400 * 86_400_000 },
      mfa: {
        totp: { enabled: true, issuer: 'gatehouse' },
        webauthn: { enabled: true, rpId: 'localhost', rpName: 'Gatehouse', origins: ['http://localhost:8080'] },
        requiredFor: [], trustProviders: true, challengeTtl: 5 * MINUTE,
      },
    };
    expect(parseConfig({}, {})).toEqual(expected);
    expect(parseConfig(undefined, {})).toEqual(expected);
    expect(parseConfig(null, {})).toEqual(expected);
  });

  it('fill in around any partial nested object', () => {
    const config = parseConfig({ password: { policy: { minLength: 4 } }, server: { port: 0 }, lockout: null }, {});
    expect(config.password.policy).toMatchObject({ minLength: 4, lowercase: true, custom: [] });
    expect(config.password.hash.timeCost).toBe(2);
    expect(config.server.baseUrl).toBe('http://localhost:0');
    expect(config.lockout.maxAttempts).toBe(5);
  });

  it('derive baseUrl-dependent values from the port and baseUrl', () => {
    const config = parseConfig({ server: { port: 9000 } }, {});
    expect(config.server.baseUrl).toBe('http://localhost:9000');
    expect(config.saml.assertionConsumerServiceUrl).toBe('http://localhost:9000/auth/saml');
  });

  it('list every settable key', () => {
    expect(CONFIG_KEYS).toContain('lockout.maxAttempts');
    expect(CONFIG_KEYS).toContain('clients[].config.tokenMethod');
    expect(CONFIG_KEYS).toContain('providers.oidc[].issuer');
    expect(CONFIG_KEYS).not.toContain('admin.initialPassword');
    expect(envVarName('password.policy.minLength')).toBe('GATEHOUSE_PASSWORD__POLICY__MIN_LENGTH');
  });
});

describe('parseDuration', () => {
  it.each([
    ['1ns', 0.000001], ['1500us', 1.5], ['250ms', 250], ['90s', 90 * SECOND], ['5m', 5 * MINUTE], ['1.5h', 1.5 * HOUR],
    ['3d', 3 * DAY], ['2w', 14 * DAY], ['100y', 100 * 365 * DAY], ['1.1s', 1100], ['.5s', 500], ['1h30m', 90 * MINUTE],
    ['1500', 1500], [1500, 1500], [0, 0], [' 10s ', 10 * SECOND],
  ])('%j → %d ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it('treats a bare number as seconds when asked', () => {
    expect(parseDuration(60, { bareUnit: 's' })).toBe(60 * SECOND);
    expect(parseDuration('60', { bareUnit: 's' })).toBe(60 * SECOND);
    expect(parseDuration('2m', { bareUnit: 's' })).toBe(2 * MINUTE);
  });

  it('accepts never only when allowed', () => {
    expect(parseDuration('never', { allowNever: true })).toBeNull();
    expect(parseDuration('NEVER', { allowNever: true })).toBeNull();
    expect(() => parseDuration('never')).toThrow(/duration/);
  });

  it.each([[-1], ['-5s'], [Number.NaN], [Number.POSITIVE_INFINITY], ['abc'], ['5 parsecs'], ['5M'], [''], ['1h30'], [true], [null], [{}]])(
    'rejects %j',
    (input) => {
      expect(() => parseDuration(input)).toThrow(/must be a duration/);
    },
  );
});

describe('durations in the configuration', () => {
  it('are milliseconds, with seconds keys and never', () => {
    const config = parseConfig({
      tokens: { accessTokenTtl: '15m', refreshTokenTtl: 1000, guestRefreshTokenTtl: '90d', refreshReuseInterval: 0 },
      saml: { idpMetadataMaxAge: 3600 },
      cookie: { maxAge: '2h' },
    }, {});
    expect(config.tokens.accessTokenTtl).toBe(15 * MINUTE);
    expect(config.tokens.refreshTokenTtl).toBe(1000);
    expect(config.tokens.guestRefreshTokenTtl).toBe(90 * DAY);
    expect(config.tokens.refreshReuseInterval).toBe(0);
    expect(config.saml.idpMetadataMaxAge).toBe(HOUR);
    expect(config.cookie.maxAge).toBe(7200);
    expect(parseConfig({ saml: { idpMetadataMaxAge: '1d' } }, {}).saml.idpMetadataMaxAge).toBe(DAY);
    expect(parseConfig({ tokens: { guestRefreshTokenTtl: 'never' } }, {}).tokens.guestRefreshTokenTtl).toBeNull();
  });

  it('tokens.guestIdleRemoval: a duration or never, from the file or the environment; zero and garbage refused', () => {
    expect(parseConfig({ tokens: { guestIdleRemoval: '30d' } }, {}).tokens.guestIdleRemoval).toBe(30 * DAY);
    expect(parseConfig({}, { GATEHOUSE_TOKENS__GUEST_IDLE_REMOVAL: 'never' }).tokens.guestIdleRemoval).toBeNull();
    const problems = problemsOf({ tokens: { guestIdleRemoval: 0 } });
    expect(problems).toEqual([expect.stringMatching(/^tokens\.guestIdleRemoval: must be longer than 0/)]);
    expect(problemsOf({ tokens: { guestIdleRemoval: 'soon' } })).toEqual([expect.stringMatching(/^tokens\.guestIdleRemoval: /)]);
  });

  it('reject never, zero TTLs and garbage with the key named', () => {
    const problems = problemsOf({ tokens: { accessTokenTtl: 'never', apiKeyTtl: 0 }, lockout: { duration: '-5m' }, gateway: { internalTokenTtl: 'soon' } });
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/^tokens\.accessTokenTtl: /);
    expect(problems[1]).toMatch(/^tokens\.apiKeyTtl: must be longer than 0/);
    expect(problems[2]).toMatch(/^lockout\.duration: must be a duration/);
    expect(problems[3]).toMatch(/^gateway\.internalTokenTtl: must be a duration .* \(got "soon"\)$/);
  });
});

describe('seconds keys', () => {
  it('saml.maxAge and cas.maxAge default to cookie.maxAge', () => {
    const config = parseConfig({ cookie: { maxAge: -1 } }, {});
    expect(config.cookie.maxAge).toBe(-1);
    expect(config.saml.maxAge).toBe(-1);
    expect(config.cas.maxAge).toBe(-1);
    const explicit = parseConfig({ cookie: { maxAge: 600 }, saml: { maxAge: 60 } }, {});
    expect(explicit.saml.maxAge).toBe(60);
    expect(explicit.cas.maxAge).toBe(600);
  });
});

describe('environment overrides', () => {
  it('map nested keys back to camelCase', () => {
    const config = parseConfig({ lockout: { maxAttempts: 3 } }, {
      GATEHOUSE_LOCKOUT__MAX_ATTEMPTS: '7',
      GATEHOUSE_PASSWORD__POLICY__MIN_LENGTH: '12',
      GATEHOUSE_SERVER__BASE_URL: 'https://id.example.com/',
      GATEHOUSE_RATE_LIMIT__FORGOT_PASSWORD: '2',
      GATEHOUSE_HTTP_BASIC__ENABLED: 'on',
      GATEHOUSE_TOKENS__QUERY_PARAMETER: 'OFF',
      GATEHOUSE_SIGNUP__INVITE_ONLY: 'True',
      GATEHOUSE_TOKENS__ACCESS_TOKEN_TTL: '30m',
    });
    expect(config.lockout.maxAttempts).toBe(7);
    expect(config.password.policy.minLength).toBe(12);
    expect(config.server.baseUrl).toBe('https://id.example.com');
    expect(config.rateLimit.forgotPassword).toBe(2);
    expect(config.httpBasic.enabled).toBe(true);
    expect(config.tokens.queryParameter).toBe(false);
    expect(config.signup.inviteOnly).toBe(true);
    expect(config.tokens.accessTokenTtl).toBe(30 * MINUTE);
  });

  it('parse flow collections', () => {
    const config = parseConfig({}, {
      GATEHOUSE_PASSWORD__WHITELIST: '[alice, bob]',
      GATEHOUSE_PASSWORD__LOGIN: 'whitelist',
      GATEHOUSE_CLIENTS: '[{clientID: app, callbackURL: "https://app.example/cb", config: {tokenMethod: body}}]',
      GATEHOUSE_PROVIDERS__GOOGLE: '{clientId: g-id, clientSecret: g-secret}',
    });
    expect(config.password.whitelist).toEqual(['alice', 'bob']);
    expect(config.password.login).toBe('whitelist');
    expect(config.clients).toEqual([{ clientID: 'app', callbackURL: 'https://app.example/cb', config: { tokenMethod: ['body'], disableStrategies: [] } }]);
    expect(config.providers.google).toEqual({ clientId: 'g-id', clientSecret: 'g-secret', scopes: ['openid', 'email', 'profile'], issuer: 'https://accounts.google.com' });
  });

  it('set keys inside optional objects and list items', () => {
    const config = parseConfig({ providers: { oidc: [{ id: 'corp', issuer: 'https://sso.corp.example', clientId: 'c', clientSecret: 'file' }] } }, {
      GATEHOUSE_PROVIDERS__OIDC__0__CLIENT_SECRET: 's3cret#with hash',
      GATEHOUSE_PROVIDERS__FACEBOOK__CLIENT_ID: '1234567890123456789',
      GATEHOUSE_PROVIDERS__FACEBOOK__CLIENT_SECRET: 'fb',
    });
    expect(config.providers.oidc[0]).toMatchObject({ id: 'corp', name: 'corp', clientSecret: 's3cret#with hash' });
    expect(config.providers.facebook?.clientId).toBe('1234567890123456789');
    expect(config.providers.facebook?.userInfoUrl).toBe('https://graph.facebook.com/me?fields=id,name,email');
  });

  it('keep string values verbatim (cron with *, secrets with #) and allow null for optional strings', () => {
    const config = parseConfig({ redis: { url: 'redis://file:6379' } }, {
      GATEHOUSE_SCHEDULE__CRON: '*/5 * * * *',
      GATEHOUSE_TOKENS__HMAC_SECRET: 'abc #def: ghi',
      GATEHOUSE_REDIS__URL: '',
    });
    expect(config.schedule.cron).toBe('*/5 * * * *');
    expect(config.tokens.hmacSecret).toBe('abc #def: ghi');
    expect(config.redis.url).toBeNull();
  });

  it('PORT, DATABASE_URL and REDIS_URL beat the file; explicit GATEHOUSE_* beats them', () => {
    const file = { server: { port: 1 }, database: { url: 'sqlite:file.db' }, redis: { url: 'redis://file:6379' } };
    const platform = parseConfig(file, { PORT: '3000', DATABASE_URL: 'postgres://u:p@db:5432/app', REDIS_URL: 'redis://cache:6379' });
    expect(platform.server.port).toBe(3000);
    expect(platform.server.baseUrl).toBe('http://localhost:3000');
    expect(platform.database.url).toBe('postgres://u:p@db:5432/app');
    expect(platform.redis.url).toBe('redis://cache:6379');
    const explicit = parseConfig(file, {
      PORT: '3000', DATABASE_URL: 'postgres://db/app', REDIS_URL: 'redis://cache',
      GATEHOUSE_SERVER__PORT: '4000', GATEHOUSE_DATABASE__URL: 'sqlite::memory:', GATEHOUSE_REDIS__URL: 'rediss://other:6380',
    });
    expect(explicit.server.port).toBe(4000);
    expect(explicit.database.url).toBe('sqlite::memory:');
    expect(explicit.redis.url).toBe('rediss://other:6380');
    expect(parseConfig(file, { PORT: '' }).server.port).toBe(1);
  });

  it('a whole section from one variable, then deeper variables on top', () => {
    const config = parseConfig({}, { GATEHOUSE_LOCKOUT: '{maxAttempts: 9, admins: off}', GATEHOUSE_LOCKOUT__DURATION: '1h' });
    expect(config.lockout).toEqual({ maxAttempts: 9, admins: false, duration: HOUR });
  });

  it('GATEHOUSE_ADMIN_PASSWORD sets admin.initialPassword, at least 8 characters', () => {
    expect(parseConfig({}, { GATEHOUSE_ADMIN_PASSWORD: 'long enough' }).admin.initialPassword).toBe('long enough');
    expect(problemsOf({}, { GATEHOUSE_ADMIN_PASSWORD: 'short' })).toEqual(['GATEHOUSE_ADMIN_PASSWORD: must be at least 8 characters (got 5)']);
    expect(problemsOf({ admin: { initialPassword: 'from the file' } })[0]).toMatch(/^admin\.initialPassword: unknown key .*GATEHOUSE_ADMIN_PASSWORD/);
    expect(problemsOf({}, { GATEHOUSE_ADMIN__INITIAL_PASSWORD: 'xxxxxxxxxx' })[0]).toMatch(/^GATEHOUSE_ADMIN__INITIAL_PASSWORD: unknown/);
  });

  it('reject unknown variables, and name the variable behind a bad value', () => {
    const problems = problemsOf({}, {
      GATEHOUSE_LOCKOUT__MAX_ATTEMPT: '3',
      GATEHOUSE_NOPE: 'x',
      GATEHOUSE_LOCKOUT__MAX_ATTEMPTS: 'abc',
      GATEHOUSE_CONFIG: '/nonexistent/is/not/read/by/parseConfig',
      UNRELATED: 'ignored',
    });
    expect(problems).toEqual([
      'GATEHOUSE_LOCKOUT__MAX_ATTEMPT: unknown configuration variable (no key "MAX_ATTEMPT" under lockout) — did you mean `GATEHOUSE_LOCKOUT__MAX_ATTEMPTS`?',
      'GATEHOUSE_NOPE: unknown configuration variable (no key "NOPE" at the top level)',
      'lockout.maxAttempts: must be an integer ≥ -1 and not 0 (got "abc") (from GATEHOUSE_LOCKOUT__MAX_ATTEMPTS)',
    ]);
  });

  it('report a broken flow collection instead of taking its text', () => {
    expect(problemsOf({}, { GATEHOUSE_PASSWORD__POLICY__CUSTOM: '["^a", "\\d"]' })[0]).toMatch(/^GATEHOUSE_PASSWORD__POLICY__CUSTOM: not a valid YAML value/);
    expect(parseConfig({}, { GATEHOUSE_PASSWORD__POLICY__CUSTOM: "['^a', '\\d']" }).password.policy.custom).toEqual(['^a', '\\d']);
  });

  it('name the variable that won when PORT and GATEHOUSE_SERVER__PORT are both set', () => {
    expect(problemsOf({}, { PORT: '1', GATEHOUSE_SERVER__PORT: 'x' })).toEqual([
      'server.port: must be an integer from 0 to 65535 (got "x") (from GATEHOUSE_SERVER__PORT)',
    ]);
  });

  it('reject list indexes past the end', () => {
    expect(problemsOf({}, { GATEHOUSE_CLIENTS__2__CLIENT_ID: 'x' })[0]).toMatch(/^GATEHOUSE_CLIENTS__2__CLIENT_ID: list index 2 is past the end/);
  });
});

describe('validation', () => {
  it('reports several bad keys at once, one line each, naming the key', () => {
    const problems = problemsOf({
      server: { port: 70000, baseUrl: 'not a url' },
      lockout: { maxAttempts: 'abc' },
      password: { login: 'maybe', policy: { minLength: 0, custom: ['ok', '(['] } },
      cookie: { sameSite: 'sometimes', httpOnly: 'yes' },
      schedule: { cron: '61 * * * *' },
      rateLimit: { login: 0, register: 1.5 },
      email: { smtpUrl: 'http://mail.example' },
      tokens: { algorithm: 'none', clientFormat: 'xml' },
    });
    const keys = problems.map((line) => line.slice(0, line.indexOf(':')));
    expect(keys).toEqual([
      'server.port', 'server.baseUrl', 'tokens.algorithm', 'tokens.clientFormat', 'schedule.cron', 'password.login',
      'password.policy.minLength', 'password.policy.custom', 'cookie.httpOnly', 'cookie.sameSite', 'lockout.maxAttempts',
      'email.smtpUrl', 'rateLimit.login', 'rateLimit.register',
    ]);
    expect(problems.every((line) => !line.includes('\n'))).toBe(true);
    expect(problems).toContain('lockout.maxAttempts: must be an integer ≥ -1 and not 0 (got "abc")');
    expect(problems).toContain('server.port: must be an integer from 0 to 65535 (got 70000)');
  });

  it('lockout.maxAttempts: -1 disables, 0 is refused', () => {
    expect(parseConfig({ lockout: { maxAttempts: -1 } }, {}).lockout.maxAttempts).toBe(-1);
    expect(problemsOf({ lockout: { maxAttempts: 0 } })).toEqual(['lockout.maxAttempts: must be an integer ≥ -1 and not 0 (got 0)']);
  });

  it('rejects unknown keys in the file', () => {
    expect(problemsOf({ lockout: { maxAttempt: 3 }, nope: true, providers: { google: { clientId: 'a', clientSecret: 'b', extra: 1 } } })).toEqual([
      'nope: unknown key',
      'lockout.maxAttempt: unknown key — did you mean `lockout.maxAttempts`?',
      'providers.google.extra: unknown key',
    ]);
  });

  it('rejects a section or a file that is not an object', () => {
    expect(problemsOf({ lockout: 5 })).toEqual(['lockout: must be an object (got 5)']);
    expect(problemsOf([1, 2])).toEqual(['config: must be an object (got [1,2])']);
  });

  it('HS512 needs an hmacSecret of at least 35 characters', () => {
    expect(problemsOf({ tokens: { algorithm: 'HS512' } })).toEqual(['tokens.hmacSecret: required when tokens.algorithm is HS512']);
    expect(problemsOf({ tokens: { algorithm: 'HS512', hmacSecret: 'x'.repeat(34) } })).toEqual([
      'tokens.hmacSecret: must be at least 35 characters when tokens.algorithm is HS512 (got 34)',
    ]);
    expect(parseConfig({ tokens: { algorithm: 'HS512', hmacSecret: 'x'.repeat(35) } }, {}).tokens.hmacSecret).toHaveLength(35);
  });

  it('accepts every database URL form and rejects others', () => {
    for (const url of ['sqlite:./x.db', 'sqlite::memory:', 'postgres://u@h/db', 'postgresql://u:p@h:5432/db']) {
      expect(parseConfig({ database: { url } }, {}).database.url).toBe(url);
    }
    expect(problemsOf({ database: { url: 'mysql://h/db' } })[0]).toMatch(/^database\.url: must be sqlite:<path>/);
    expect(problemsOf({ database: { url: 'sqlite:' } })[0]).toMatch(/^database\.url: /);
  });

  it('validates clients: tokenMethod normalised to a list, unique ids, URL callbacks', () => {
    const config = parseConfig({ clients: [
      { clientID: 'a', callbackURL: 'https://a.example/cb' },
      { clientID: 'b', callbackURL: 'http://localhost:3000/cb', config: { tokenMethod: ['cookie', 'body'], disableStrategies: ['google'] } },
    ] }, {});
    expect(config.clients[0]?.config).toEqual({ tokenMethod: ['query'], disableStrategies: [] });
    expect(config.clients[1]?.config).toEqual({ tokenMethod: ['cookie', 'body'], disableStrategies: ['google'] });
    expect(problemsOf({ clients: [
      { clientID: 'a', callbackURL: 'https://a.example/cb' },
      { clientID: 'a', callbackURL: 'nope', config: { tokenMethod: 'fax' } },
      { callbackURL: 'https://c.example' },
    ] })).toEqual([
      'clients[1].callbackURL: must be an http:// or https:// URL (got "nope")',
      'clients[1].config.tokenMethod: must be one of query, cookie, body (got "fax")',
      'clients[2].clientID: required',
      'clients[1].clientID: duplicate of clients[0].clientID ("a")',
    ]);
  });

  it('validates OIDC providers', () => {
    const problems = problemsOf({ providers: { oidc: [
      { id: 'Corp', issuer: 'https://a.example', clientId: 'c', clientSecret: 's' },
      { id: 'x', issuer: 'https://a.example', clientId: 'c', clientSecret: 's' },
      { id: 'x', name: 'X', issuer: 'https://a.example', clientId: 'c' },
    ] } });
    expect(problems).toEqual([
      'providers.oidc[0].id: must match /^[a-z0-9][a-z0-9_-]*$/ (got "Corp")',
      'providers.oidc[2].clientSecret: required',
      'providers.oidc[2].id: duplicate of providers.oidc[1].id ("x")',
    ]);
  });

  it('requires https for provider URLs except loopback or with disableVerification', () => {
    const input = {
      providers: {
        google: { clientId: 'g', clientSecret: 's', issuer: 'http://idp.example' },
        oidc: [
          { id: 'local', issuer: 'http://127.0.0.1:4000', clientId: 'c', clientSecret: 's' },
          { id: 'v6', issuer: 'http://[::1]:4000', clientId: 'c', clientSecret: 's' },
          { id: 'lh', issuer: 'http://localhost:4000', clientId: 'c', clientSecret: 's' },
        ],
      },
      saml: { idpMetadataUrl: 'file:///etc/idp.xml' },
      cas: { serverUrl: 'http://cas.example/cas' },
    };
    expect(problemsOf(input)).toEqual([
      'cas.serverUrl: must be an https:// URL unless the host is loopback or https.disableVerification is true (got "http://cas.example/cas/")',
      'providers.google.issuer: must be an https:// URL unless the host is loopback or https.disableVerification is true (got "http://idp.example")',
    ]);
    const relaxed = parseConfig({ ...input, https: { disableVerification: true } }, {});
    expect(relaxed.cas.serverUrl).toBe('http://cas.example/cas/');
  });

  it('requires the SAML and CAS essentials when enabled', () => {
    expect(problemsOf({ saml: { enabled: true }, cas: { enabled: 'on' } })).toEqual([
      'saml.relyingPartyId: required when saml.enabled is true',
      'saml.idpMetadataUrl: required when saml.enabled is true',
      'cas.serverUrl: required when cas.enabled is true',
    ]);
    const config = parseConfig({
      saml: { enabled: true, relyingPartyId: 'urn:gatehouse', idpMetadataUrl: 'https://idp.example/metadata', redirectMethod: 'POST', redirectSuccessUrl: '/app' },
      cas: { enabled: true, serverUrl: 'https://cas.example/cas/', version: 'saml11' },
    }, {});
    expect(config.saml.redirectMethod).toBe('post');
    expect(config.saml.redirectSuccessUrl).toBe('/app');
    expect(config.cas.version).toBe('saml11');
  });

  it('validates email settings', () => {
    expect(parseConfig({ email: { smtpUrl: 'smtps://u:p@mail.example:465' } }, {}).email.smtpUrl).toBe('smtps://u:p@mail.example:465');
    expect(problemsOf({ email: { from: 'nobody' } })[0]).toMatch(/^email\.from: must contain an e-mail address/);
  });

  it('refuses numbers where a string is expected', () => {
    expect(problemsOf({ tokens: { issuer: 123 } })).toEqual(['tokens.issuer: must be a string (got 123; quote it in YAML)']);
  });
});

describe('cookie', () => {
  it('path auto is the baseUrl pathname without a trailing slash, "/" at the root', () => {
    expect(parseConfig({ server: { baseUrl: 'https://x.example/app/' } }, {}).cookie.path).toBe('/app');
    expect(parseConfig({ server: { baseUrl: 'https://x.example/a/b' } }, {}).cookie.path).toBe('/a/b');
    expect(parseConfig({ server: { baseUrl: 'https://x.example' } }, {}).cookie.path).toBe('/');
    expect(parseConfig({ server: { baseUrl: 'https://x.example/app' }, cookie: { path: '/other' } }, {}).cookie.path).toBe('/other');
    expect(parseConfig({ server: { baseUrl: 'https://x.example/app/' } }, {}).server.baseUrl).toBe('https://x.example/app');
  });

  it('sameSite none forces secure', () => {
    const config = parseConfig({ cookie: { sameSite: 'None', secure: false } }, {});
    expect(config.cookie).toMatchObject({ sameSite: 'none', secure: true });
    expect(parseConfig({ cookie: { sameSite: 'lax', secure: false } }, {}).cookie.secure).toBe(false);
  });
});

describe('maskSecrets', () => {
  it('masks every set secret and leaves unset ones null', () => {
    const config = parseConfig({
      tokens: { algorithm: 'HS512', hmacSecret: 'h'.repeat(40) },
      signup: { confirmationKey: 'key' },
      admin: { passwordOverride: 'override' },
      database: { url: 'postgres://gate:db-pass@db:5432/gate' },
      redis: { url: 'redis://:redis-pass@cache:6379/0' },
      email: { smtpUrl: 'smtp://mailer:mail-pass@mail.example:587' },
      providers: {
        google: { clientId: 'gid', clientSecret: 'gsecret' },
        facebook: { clientId: 'fid', clientSecret: 'fsecret' },
        oidc: [{ id: 'corp', issuer: 'https://sso.example', clientId: 'cid', clientSecret: 'csecret' }],
      },
    }, { GATEHOUSE_ADMIN_PASSWORD: 'initial-password' });
    const masked = maskSecrets(config) as Config;
    expect(masked.tokens.hmacSecret).toBe('******');
    expect(masked.signup.confirmationKey).toBe('******');
    expect(masked.admin.passwordOverride).toBe('******');
    expect(masked.admin.initialPassword).toBe('******');
    expect(masked.database.url).toBe('postgres://gate:******@db:5432/gate');
    expect(masked.redis.url).toBe('redis://:******@cache:6379/0');
    expect(masked.email.smtpUrl).toBe('smtp://mailer:******@mail.example:587');
    expect(masked.providers.google?.clientSecret).toBe('******');
    expect(masked.providers.facebook?.clientSecret).toBe('******');
    expect(masked.providers.oidc[0]?.clientSecret).toBe('******');
    expect(masked.providers.google?.clientId).toBe('gid');
    expect(JSON.stringify(masked)).not.toMatch(/secret"|db-pass|redis-pass|mail-pass|initial-password|override"/);
    expect(config.tokens.hmacSecret).toBe('h'.repeat(40));
  });

  it('leaves unset secrets and password-less URLs alone', () => {
    const masked = maskSecrets(parseConfig({ database: { url: 'postgres://gate@db/gate' } }, {})) as Config;
    expect(masked.tokens.hmacSecret).toBeNull();
    expect(masked.admin.initialPassword).toBeNull();
    expect(masked.database.url).toBe('postgres://gate@db/gate');
    expect(masked.providers.google).toBeNull();
  });
});

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads YAML', () => {
    const file = join(dir, 'gatehouse.yaml');
    writeFileSync(file, [
      'server:',
      '  port: 9090',
      '  baseUrl: https://id.example.com/accounts/',
      'lockout:',
      '  maxAttempts: 3',
      '  duration: 15m',
      'httpBasic:',
      '  enabled: on',
      'password:',
      '  login: off',
      'clients:',
      '  - clientID: web',
      '    callbackURL: https://web.example/cb',
      '    config: { tokenMethod: cookie }',
    ].join('\n'));
    const config = loadConfig({ file, env: { GATEHOUSE_LOCKOUT__MAX_ATTEMPTS: '4' } });
    expect(config.server).toMatchObject({ port: 9090, baseUrl: 'https://id.example.com/accounts' });
    expect(config.lockout).toEqual({ maxAttempts: 4, duration: 15 * MINUTE, admins: true });
    expect(config.httpBasic.enabled).toBe(true);
    expect(config.password.login).toBe('off');
    expect(config.cookie.path).toBe('/accounts');
    expect(config.clients[0]?.config.tokenMethod).toEqual(['cookie']);
  });

  it('reads JSON named by GATEHOUSE_CONFIG', () => {
    const file = join(dir, 'gatehouse.json');
    writeFileSync(file, JSON.stringify({ tokens: { issuer: 'json-issuer', accessTokenTtl: '5m' }, rateLimit: { enabled: false } }));
    const config = loadConfig({ env: { GATEHOUSE_CONFIG: file } });
    expect(config.tokens.issuer).toBe('json-issuer');
    expect(config.tokens.accessTokenTtl).toBe(5 * MINUTE);
    expect(config.rateLimit.enabled).toBe(false);
  });

  it('without a file uses defaults and env', () => {
    expect(loadConfig({ env: { PORT: '8181' } }).server.port).toBe(8181);
  });

  it('fails with a ConfigError on a missing or unparseable file', () => {
    expect(() => loadConfig({ file: join(dir, 'missing.yaml'), env: {} })).toThrow(ConfigError);
    expect(() => loadConfig({ file: join(dir, 'missing.yaml'), env: {} })).toThrow(/missing\.yaml: cannot be read \(ENOENT\)/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'server: {port: 1\nlockout: [');
    let error: unknown;
    try {
      loadConfig({ file: bad, env: {} });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((line) => line.startsWith(`config file ${bad}: not valid YAML or JSON`) && !line.includes('\n'))).toBe(true);
  });

  it('reports invalid keys from the file', () => {
    const file = join(dir, 'invalid.yaml');
    writeFileSync(file, 'lockout:\n  maxAttempts: abc\nunknownKey: 1\n');
    expect(() => loadConfig({ file, env: {} })).toThrow('unknownKey: unknown key\nlockout.maxAttempts: must be an integer ≥ -1 and not 0 (got "abc")');
  });
});

describe('the result', () => {
  it('is deep-frozen', () => {
    const config = parseConfig({ clients: [{ clientID: 'a', callbackURL: 'https://a.example' }] }, {});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.password.policy)).toBe(true);
    expect(Object.isFrozen(config.password.whitelist)).toBe(true);
    expect(Object.isFrozen(config.clients[0]?.config.tokenMethod)).toBe(true);
    expect(() => { (config.server as { port: number }).port = 1; }).toThrow(TypeError);
  });

  it('does not mutate the input', () => {
    const input = { lockout: { maxAttempts: 3 } };
    parseConfig(input, { GATEHOUSE_LOCKOUT__MAX_ATTEMPTS: '8' });
    expect(input).toEqual({ lockout: { maxAttempts: 3 } });
  });
});

describe('password.policy.custom', () => {
  it('rejects a pattern that only compiles without the u flag the policy uses', () => {
    expect(() => parseConfig({ password: { policy: { custom: ['[\\w-x]'] } } }, {})).toThrow(/password\.policy\.custom/);
  });
});

describe('indexed list variables', () => {
  it('builds list items in index order whatever order the environment lists them', () => {
    const env: Record<string, string> = {};
    // Insertion order is the order Object.entries yields: item 1 before item 0.
    env.GATEHOUSE_PROVIDERS__OIDC__1 = '{id: second, issuer: "https://two.example", clientId: b, clientSecret: s}';
    env.GATEHOUSE_PROVIDERS__OIDC__0 = '{id: first, issuer: "https://one.example", clientId: a, clientSecret: s}';
    const config = parseConfig({}, env);
    expect(config.providers.oidc.map((p) => p.id)).toEqual(['first', 'second']);
  });
});
