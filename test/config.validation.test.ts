import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/index.js';
import { problemsOf } from './helpers/config.js';

/* The configuration (CONTRACT §2) refuses what it cannot use, every problem listed; and the rules it derives. */

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

  it('oidc.store: redis is refused without redis.url, naming the key; REDIS_URL or redis.url satisfies it', () => {
    expect(problemsOf({ oidc: { store: 'redis' } })).toEqual(['oidc.store: redis requires redis.url (or REDIS_URL)']);
    expect(problemsOf({ oidc: { store: 'memcached' } })[0]).toMatch(/^oidc\.store: /);
    expect(parseConfig({ oidc: { store: 'redis' }, redis: { url: 'redis://127.0.0.1:6379' } }, {}).oidc.store).toBe('redis');
    expect(parseConfig({}, { GATEHOUSE_OIDC__STORE: 'redis', REDIS_URL: 'redis://127.0.0.1:6379' }).oidc.store).toBe('redis');
    expect(parseConfig({}, {}).oidc.store).toBe('database');
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

describe('password.policy.custom', () => {
  it('rejects a pattern that only compiles without the u flag the policy uses', () => {
    expect(() => parseConfig({ password: { policy: { custom: ['[\\w-x]'] } } }, {})).toThrow(/password\.policy\.custom/);
  });
});
