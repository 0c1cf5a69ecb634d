import { createPublicKey } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWTHeaderParameters, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWithPyJwt } from './helpers/jwt-python.js';
import { dialects, goodPassword, startServer, type Answer, type Dialect, type TestServer } from './helpers/server.js';

/*
 * Access tokens (CONTRACT §3, §5 "Discovery and keys"): every tampered or foreign JWT is refused with
 * 401 `invalid-token`, and the tokens Gatehouse issues verify with an independent implementation (PyJWT)
 * against the published JWKS / PEM, for every `tokens.algorithm`.
 */

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const hmacSecret = 'an-hmac-secret-of-more-than-35-characters-for-tests';
/** Members of a private JWK (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2): none may ever be published. */
const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const decodePart = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

/** A JWT's three parts, decoded where they are JSON. */
function parts(token: string): { header: Record<string, unknown>; payload: Record<string, unknown>; encoded: string[] } {
  const encoded = token.split('.');
  return { header: decodePart(encoded[0]!), payload: decodePart(encoded[1]!), encoded };
}

/** Logs a fresh account in (with `signup.alwaysConfirm` no mail is needed). */
async function registerAndLogin(server: TestServer, email: string): Promise<{ userId: string; accessToken: string; refreshToken: string; accessTokenExpiresAt: string }> {
  const registered = await server.request('POST', '/api/auth/register', { json: { email, password: goodPassword } });
  expect(registered.status, registered.text).toBe(201);
  const login = await server.request('POST', '/api/auth/login', { json: { email, password: goodPassword } });
  expect(login.status, login.text).toBe(200);
  return login.body;
}

/** The server's answer to `GET /api/auth/account` with this bearer token. */
function accountWith(server: TestServer, token: string): Promise<Answer> {
  return server.request('GET', '/api/auth/account', { headers: { authorization: `Bearer ${token}` } });
}

/** A 401 problem with `code` in both the body and `x-error-code` (seed 003). */
function expectUnauthorized(answer: Answer, code: string): void {
  expect(answer.status, answer.text).toBe(401);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.headers.get('x-error-code')).toBe(code);
  expect(answer.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status: 401, detail: expect.any(String), code });
}

/** Signs `payload` with the server's own signing key (reachable only in-process), to forge claims the API would never issue. */
function signWithServerKey(server: TestServer, payload: JWTPayload, header: Partial<JWTHeaderParameters> = {}): Promise<string> {
  const { signer } = server.app.services.keys.loaded;
  return new SignJWT(payload).setProtectedHeader({ alg: signer.algorithm, kid: signer.kid, typ: 'JWT', ...header }).sign(signer.key);
}

describe.each(dialects)('tampered and foreign access tokens on %s', (dialect) => {
  let server: TestServer;
  let user: Awaited<ReturnType<typeof registerAndLogin>>;
  let adminId: string;
  let real: ReturnType<typeof parts>;

  beforeAll(async () => {
    server = await startServer(dialect, { config: { signup: { alwaysConfirm: true }, rateLimit: { enabled: false } }, env: { GATEHOUSE_ADMIN_PASSWORD: 'bootstrap-pw' } });
    user = await registerAndLogin(server, 'tokens@example.com');
    adminId = (await server.request('POST', '/api/auth/login', { json: { username: 'admin', password: 'bootstrap-pw' } })).body.userId;
    real = parts(user.accessToken);
  });
  afterAll(async () => server?.close());

  it('accepts the untampered token (the baseline every forgery below is copied from)', async () => {
    const answer = await accountWith(server, user.accessToken);
    expect(answer.status).toBe(200);
    expect(answer.body.id).toBe(user.userId);
    expect(real.header).toMatchObject({ alg: 'RS512', typ: 'JWT', kid: expect.any(String) });
  });

  it('refuses unsigned tokens (alg: none, any spelling) with a valid-looking payload', async () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const header = { ...real.header, alg };
      for (const signature of ['', real.encoded[2]!]) {
        expectUnauthorized(await accountWith(server, `${b64(header)}.${real.encoded[1]}.${signature}`), 'invalid-token');
      }
    }
  });

  it('refuses a token signed by another RSA key that claims the same kid', async () => {
    const { privateKey } = await generateKeyPair('RS512', { modulusLength: 2048 });
    const forged = await new SignJWT(real.payload).setProtectedHeader({ alg: 'RS512', kid: real.header.kid as string, typ: 'JWT' }).sign(privateKey);
    expectUnauthorized(await accountWith(server, forged), 'invalid-token');
  });

  it('ignores a public key embedded in the header (jwk) and refuses the token', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS512', { modulusLength: 2048 });
    const jwk = await exportJWK(publicKey);
    for (const header of [{ jwk }, { jwk, kid: real.header.kid as string }, { jku: 'http://127.0.0.1:9/jwks.json', kid: real.header.kid as string }]) {
      const forged = await new SignJWT(real.payload).setProtectedHeader({ alg: 'RS512', typ: 'JWT', ...header }).sign(privateKey);
      expectUnauthorized(await accountWith(server, forged), 'invalid-token');
    }
  });

  it('refuses a token with one flipped signature bit, wherever it is', async () => {
    const signature = Buffer.from(real.encoded[2]!, 'base64url');
    for (const index of [0, signature.length >> 1, signature.length - 1]) {
      const flipped = Buffer.from(signature);
      flipped[index] = flipped[index]! ^ 0x01;
      expectUnauthorized(await accountWith(server, `${real.encoded[0]}.${real.encoded[1]}.${flipped.toString('base64url')}`), 'invalid-token');
    }
    // A truncated signature, and none at all.
    expectUnauthorized(await accountWith(server, `${real.encoded[0]}.${real.encoded[1]}.${real.encoded[2]!.slice(0, -4)}`), 'invalid-token');
    expectUnauthorized(await accountWith(server, `${real.encoded[0]}.${real.encoded[1]}.`), 'invalid-token');
  });

  it('refuses an edited payload or header that keeps the original signature', async () => {
    // The original first, so it sits in the verified-token cache, which is keyed by the signature's tail: every edit
    // below shares that tail and must still be checked in full.
    expect((await accountWith(server, user.accessToken)).status).toBe(200);
    const edits: Array<[Record<string, unknown>, Record<string, unknown>]> = [
      [real.header, { ...real.payload, sub: adminId }],
      [real.header, { ...real.payload, roles: ['user', 'sysadmin'] }],
      [real.header, { ...real.payload, exp: (real.payload.exp as number) + 365 * 86_400 }],
      [real.header, { ...real.payload, iss: 'gatehouse ' }],
      [{ ...real.header, kid: 'another-kid' }, real.payload],
      [{ ...real.header, alg: 'RS256' }, real.payload],
    ];
    for (const [header, payload] of edits) {
      expectUnauthorized(await accountWith(server, `${b64(header)}.${b64(payload)}.${real.encoded[2]}`), 'invalid-token');
    }
    // The same token with extra segments or whitespace inside is not a JWS compact serialisation.
    expectUnauthorized(await accountWith(server, `${user.accessToken}.${real.encoded[2]}`), 'invalid-token');
    // The server still accepts the untouched original: refusals were not cached against it.
    expect((await accountWith(server, user.accessToken)).status).toBe(200);
  });

  it('puts the same roles in a refreshed access token as in the first one', async () => {
    const login = await server.request('POST', '/api/auth/login', { json: { username: 'admin', password: 'bootstrap-pw' } });
    expect(login.status, login.text).toBe(200);
    const roles = parts(login.body.accessToken).payload.roles as string[];
    expect(roles).toEqual(expect.arrayContaining(['user', 'sysadmin']));
    const refreshed = await server.request('POST', '/api/auth/refresh', { json: { refreshToken: login.body.refreshToken } });
    expect(refreshed.status, refreshed.text).toBe(200);
    expect(parts(refreshed.body.accessToken).payload.roles).toEqual(roles);
    // An account without built-in groups: `user` alone, before and after.
    const plain = await server.request('POST', '/api/auth/refresh', { json: { refreshToken: user.refreshToken } });
    expect(plain.status, plain.text).toBe(200);
    expect(parts(plain.body.accessToken).payload.roles).toEqual(['user']);
    user = { ...user, ...plain.body };
  });

  it('refuses a token of another issuer even when signed with the server key', async () => {
    const now = Math.floor(server.clock.now() / 1000);
    for (const iss of ['evil', 'entrecode', 'Gatehouse', '']) {
      const forged = await signWithServerKey(server, { ...real.payload, iss, iat: now, exp: now + 600 });
      expectUnauthorized(await accountWith(server, forged), 'invalid-token');
    }
    const withoutIssuer = { ...real.payload };
    delete withoutIssuer.iss;
    expectUnauthorized(await accountWith(server, await signWithServerKey(server, withoutIssuer)), 'invalid-token');
  });

  it('answers an expired token with access-token-expired', async () => {
    const now = Math.floor(server.clock.now() / 1000);
    const forged = await signWithServerKey(server, { ...real.payload, iat: now - 7200, exp: now - 60 });
    expectUnauthorized(await accountWith(server, forged), 'access-token-expired');
  });

  it('refuses tokens lacking a required claim even when signed with the server key', async () => {
    for (const claim of ['sid', 'sub', 'exp', 'jti', 'roles']) {
      const payload = { ...real.payload };
      delete payload[claim];
      expectUnauthorized(await accountWith(server, await signWithServerKey(server, payload)), 'invalid-token');
    }
  });

  it('refuses HMAC tokens keyed with the public key (algorithm confusion)', async () => {
    const pem = (await server.request('GET', '/auth/public-key')).text;
    expect(pem).toContain('-----BEGIN PUBLIC KEY-----');
    const jwks = (await server.request('GET', '/.well-known/jwks.json')).text;
    for (const alg of ['HS256', 'HS512']) {
      for (const secret of [pem, pem.trim(), jwks]) {
        const forged = await new SignJWT(real.payload).setProtectedHeader({ alg, kid: real.header.kid as string, typ: 'JWT' }).sign(new TextEncoder().encode(secret));
        expectUnauthorized(await accountWith(server, forged), 'invalid-token');
      }
    }
  });

  it('refuses tampered tokens given in ?_token= the same way', async () => {
    const forged = `${b64({ ...real.header, alg: 'none' })}.${real.encoded[1]}.`;
    expectUnauthorized(await server.request('GET', `/api/auth/account?_token=${forged}`), 'invalid-token');
  });

  it('answers a valid token whose session was revoked (logout) with token-revoked', async () => {
    const other = (await server.request('POST', '/api/auth/login', { json: { email: 'tokens@example.com', password: goodPassword } })).body;
    expect((await accountWith(server, other.accessToken)).status).toBe(200);
    expect((await server.request('POST', '/api/auth/logout', { token: other.accessToken })).status).toBe(204);
    expectUnauthorized(await accountWith(server, other.accessToken), 'token-revoked');
    // Only that session ended.
    expect((await accountWith(server, user.accessToken)).status).toBe(200);
  });
});

interface AlgorithmCase {
  dialect: Dialect;
  algorithm: 'RS512' | 'RS256' | 'ES256' | 'EdDSA' | 'HS512';
}

const algorithmCases: AlgorithmCase[] = [
  ...(['RS512', 'RS256', 'ES256', 'EdDSA', 'HS512'] as const).map((algorithm) => ({ dialect: 'sqlite' as const, algorithm })),
  { dialect: 'postgres', algorithm: 'RS512' },
];

/** Node's view of the PEM key each algorithm must publish. */
const expectedKeyType: Record<string, { type: string; curve?: string; kty: string }> = {
  RS512: { type: 'rsa', kty: 'RSA' },
  RS256: { type: 'rsa', kty: 'RSA' },
  ES256: { type: 'ec', curve: 'prime256v1', kty: 'EC' },
  EdDSA: { type: 'ed25519', kty: 'OKP' },
};

describe('access tokens verified independently with PyJWT', () => {
  it.each(algorithmCases)('$algorithm on $dialect: JWKS/PEM publish the key and PyJWT verifies every claim', async ({ dialect, algorithm }) => {
    const tokens = algorithm === 'HS512' ? { algorithm, hmacSecret } : { algorithm };
    const server = await startServer(dialect, { config: { signup: { alwaysConfirm: true }, tokens } });
    try {
      const email = `pyjwt-${algorithm.toLowerCase()}@example.com`;
      const login = await registerAndLogin(server, email);
      expect((await accountWith(server, login.accessToken)).status).toBe(200);

      const jwksAnswer = await server.request('GET', '/.well-known/jwks.json');
      expect(jwksAnswer.status).toBe(200);
      expect(jwksAnswer.headers.get('content-type')).toMatch(/^application\/(jwk-set\+)?json/);
      const jwks = jwksAnswer.body as { keys: Array<Record<string, unknown>> };
      const pemAnswer = await server.request('GET', '/auth/public-key');

      let pem: string | undefined;
      if (algorithm === 'HS512') {
        // The HMAC secret is never published: no JWKS entry and no PEM. The JWKS holds only the OpenID provider's keys.
        expect(jwks.keys.map((jwk) => jwk.alg).sort()).toEqual(['ES256', 'RS256', 'RS512']);
        expect(jwks.keys.some((jwk) => jwk.kty === 'oct')).toBe(false);
        expect(pemAnswer.status).toBe(404);
        expect(pemAnswer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(pemAnswer.body).toMatchObject({ status: 404, code: 'not-found', type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
        expect(pemAnswer.text).not.toContain(hmacSecret);
        expect(jwksAnswer.text).not.toContain(hmacSecret);
      } else {
        expect(pemAnswer.status).toBe(200);
        pem = pemAnswer.text;
        expect(pem.startsWith('-----BEGIN PUBLIC KEY-----\n')).toBe(true);
        expect(pem.trim().endsWith('-----END PUBLIC KEY-----')).toBe(true);
        const key = createPublicKey(pem);
        const expected = expectedKeyType[algorithm]!;
        expect(key.asymmetricKeyType).toBe(expected.type);
        if (expected.curve) expect(key.asymmetricKeyDetails?.namedCurve).toBe(expected.curve);
        if (expected.type === 'rsa') expect(key.asymmetricKeyDetails?.modulusLength).toBeGreaterThanOrEqual(2048);
        // One JWKS for every key: the access tokens' algorithm and the OpenID provider's (RS256, RS512, ES256).
        expect(jwks.keys.filter((jwk) => jwk.alg === algorithm)).toEqual([expect.objectContaining({ kid: expect.any(String), kty: expected.kty })]);
        for (const jwk of jwks.keys) {
          expect([algorithm, 'RS256', 'RS512', 'ES256']).toContain(jwk.alg);
          expect(jwk).toMatchObject({ kid: expect.any(String), use: 'sig' });
          for (const member of privateMembers) expect(jwk).not.toHaveProperty(member);
        }
      }

      const verified = await verifyWithPyJwt({ token: login.accessToken, algorithm, issuer: 'gatehouse', jwks, pem, secret: algorithm === 'HS512' ? hmacSecret : undefined });
      expect(verified.version).toMatch(/^2\./);
      expect(verified.header).toMatchObject({ alg: algorithm, typ: 'JWT', kid: expect.any(String) });
      if (algorithm !== 'HS512') expect(jwks.keys.map((k) => k.kid)).toContain(verified.header.kid);
      const claims = verified.claims;
      expect(claims).toEqual({
        jti: expect.stringMatching(uuid),
        sub: login.userId,
        email,
        iss: 'gatehouse',
        iat: expect.any(Number),
        exp: expect.any(Number),
        sid: expect.any(String),
        roles: ['user'],
        // RFC 8176: how the session was authenticated (a password alone).
        amr: ['pwd'],
      });
      expect(Number.isInteger(claims.iat)).toBe(true);
      expect(claims.exp).toBe((claims.iat as number) + 3600);
      expect(Math.abs((claims.iat as number) - server.clock.now() / 1000)).toBeLessThan(5);
      expect((claims.exp as number) * 1000).toBe(Date.parse(login.accessTokenExpiresAt));
      if (pem !== undefined) expect(verified.claimsFromPem).toEqual(claims);
      expect(verified.wrongIssuerError).toBe('InvalidIssuerError');
      const session = await server.app.services.database.db.selectFrom('sessions').select(['account_id', 'revoked_at']).where('id', '=', claims.sid as string).executeTakeFirst();
      expect(session).toEqual({ account_id: login.userId, revoked_at: null });

      // Whatever the algorithm, the server refuses alg:none and HMAC forgeries keyed with what it publishes.
      const real = parts(login.accessToken);
      expectUnauthorized(await accountWith(server, `${b64({ ...real.header, alg: 'none' })}.${real.encoded[1]}.`), 'invalid-token');
      const guessedSecrets = algorithm === 'HS512' ? [`${hmacSecret}x`, ''] : [pem!, jwksAnswer.text];
      for (const secret of guessedSecrets) {
        const forged = await new SignJWT(real.payload).setProtectedHeader({ alg: 'HS512', kid: real.header.kid as string, typ: 'JWT' }).sign(new TextEncoder().encode(secret || 'x'));
        expectUnauthorized(await accountWith(server, forged), 'invalid-token');
      }
    } finally {
      await server.close();
    }
  });

  it('uses tokens.issuer as iss (seed 000: "entrecode") and refuses the default issuer then', async () => {
    const server = await startServer('sqlite', { config: { signup: { alwaysConfirm: true }, tokens: { issuer: 'entrecode' } } });
    try {
      const login = await registerAndLogin(server, 'issuer@example.com');
      const jwks = (await server.request('GET', '/.well-known/jwks.json')).body;
      const pem = (await server.request('GET', '/auth/public-key')).text;
      const verified = await verifyWithPyJwt({ token: login.accessToken, algorithm: 'RS512', issuer: 'entrecode', jwks, pem });
      expect(verified.claims.iss).toBe('entrecode');
      expect(verified.claimsFromPem?.iss).toBe('entrecode');
      expect((await accountWith(server, login.accessToken)).status).toBe(200);
      const payload = parts(login.accessToken).payload;
      expectUnauthorized(await accountWith(server, await signWithServerKey(server, { ...payload, iss: 'gatehouse' })), 'invalid-token');
    } finally {
      await server.close();
    }
  });

  it('rejects a forged token in PyJWT too (the helper is not a rubber stamp)', async () => {
    const server = await startServer('sqlite', { config: { signup: { alwaysConfirm: true } } });
    try {
      const login = await registerAndLogin(server, 'stamp@example.com');
      const jwks = (await server.request('GET', '/.well-known/jwks.json')).body;
      const real = parts(login.accessToken);
      const edited = `${real.encoded[0]}.${b64({ ...real.payload, roles: ['sysadmin'] })}.${real.encoded[2]}`;
      await expect(verifyWithPyJwt({ token: edited, algorithm: 'RS512', issuer: 'gatehouse', jwks })).rejects.toThrow(/InvalidSignatureError|Signature verification failed/);
    } finally {
      await server.close();
    }
  });
});
