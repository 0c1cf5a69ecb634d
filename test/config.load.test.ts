import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, maskSecrets, parseConfig, type Config } from '../src/config/index.js';
import { MINUTE } from './helpers/config.js';

/* The configuration (CONTRACT §2) loaded from a file, frozen, and shown with its secrets masked. */

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

  it('masks a password given as a query parameter of the database URL, as libpq and node-postgres accept it', () => {
    const url = 'postgres://gate@db/gate?sslmode=require&password=db-pass&sslpassword=key-pass&application_name=gh';
    const masked = maskSecrets(parseConfig({ database: { url } }, {})) as Config;
    expect(masked.database.url).toBe('postgres://gate@db/gate?sslmode=require&password=******&sslpassword=******&application_name=gh');
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
