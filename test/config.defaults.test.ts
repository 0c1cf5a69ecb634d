import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, envVarName, parseConfig, parseDuration, type Config } from '../src/config/index.js';
import { DAY, HOUR, MINUTE, SECOND, problemsOf } from './helpers/config.js';

/* The configuration (CONTRACT §2): its defaults, and durations and seconds wherever the schema takes them. */

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
      signup: { enabled: true, inviteOnly: false, alwaysConfirm: false, confirmationKey: null, confirmationTokenTtl: 3 * DAY, unconfirmedRemoval: 7 * DAY, tokenBeforeConfirmation: true },
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
      oidc: { enabled: true, issuer: 'http://localhost:8080', accessTokenTtl: 10 * MINUTE, refreshTokenTtl: 30 * 24 * 60 * MINUTE, consent: 'explicit', store: 'database', resources: [] },
      branding: { productName: 'Gatehouse', logoUrl: null, primaryColor: null, css: null },
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
