import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/index.js';
import { HOUR, MINUTE, problemsOf } from './helpers/config.js';

/* The configuration (CONTRACT §2) as `GATEHOUSE_*` environment variables override and extend it. */

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
    expect(config.clients).toEqual([{ clientID: 'app', callbackURL: 'https://app.example/cb', config: { tokenMethod: ['body'], disableStrategies: [] }, name: null, oidc: null, clientSecret: null }]);
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
