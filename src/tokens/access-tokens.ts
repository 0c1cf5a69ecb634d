import { errors as joseErrors, jwtVerify, SignJWT, type JWTHeaderParameters, type JWTPayload } from 'jose';
import type { Clock, RandomSource } from '../clock.js';
import { AppError } from '../http/errors.js';
import { LruCache } from '../util/lru.js';
import type { Metrics } from '../metrics/metrics.js';
import type { KeyStore } from './key-store.js';
import type { KeyRing } from './signing-keys.js';

/** The claims of every access token (CONTRACT §3; seed 000 plus `sid` and `roles`). */
export interface AccessClaims {
  jti: string;
  sub: string;
  email?: string;
  iss: string;
  iat: number;
  exp: number;
  sid: string;
  roles: string[];
  /** How the session was authenticated (RFC 8176), when it was recorded. */
  amr?: string[];
}

/** What an access token is issued for. */
export interface TokenSubject {
  accountId: string;
  email: string | null;
  roles: string[];
  sessionId: string;
  /** RFC 8176 `amr` of the session (`pwd`, `otp`, `mfa`, …); left out when not recorded. */
  amr?: readonly string[] | undefined;
}

/**
 * Issues and verifies access JWTs. Verified tokens are cached until `exp` so a request does not pay an
 * asymmetric verify each time (DESIGN "Performance by design"); revocation is checked by the caller per session.
 */
export class AccessTokens {
  /**
   * Tokens verified before, keyed by the tail of their signature and holding the whole token, which must match.
   * Why: a Map hashes its string key on every lookup, and hashing the 700-character token cost more than the rest of
   * the check; the signature's last characters are as unpredictable as any hash of it.
   */
  private readonly cache = new LruCache<string, { token: string; claims: AccessClaims }>(50_000);

  constructor(
    private readonly keys: KeyStore,
    private readonly options: { issuer: string; ttlMs: number; clock: Clock; random: RandomSource; metrics?: Metrics },
  ) {}

  /** Signs a token for one session; `ttlMs` overrides the configured lifetime (API keys live for years). */
  async issue(subject: TokenSubject, ttlMs = this.options.ttlMs): Promise<{ token: string; expiresAt: number }> {
    const iat = Math.floor(this.options.clock.now() / 1000);
    const exp = iat + Math.floor(ttlMs / 1000);
    const { signer } = await this.keys.current();
    const payload: JWTPayload = { sid: subject.sessionId, roles: subject.roles };
    if (subject.email) payload.email = subject.email;
    if (subject.amr?.length) payload.amr = [...subject.amr];
    const header: JWTHeaderParameters = { alg: signer.algorithm, kid: signer.kid, typ: 'JWT' };
    const token = await new SignJWT(payload)
      .setProtectedHeader(header)
      .setJti(this.options.random.uuid())
      .setSubject(subject.accountId)
      .setIssuer(this.options.issuer)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(signer.key);
    this.options.metrics?.tokensIssued.inc();
    return { token, expiresAt: exp * 1000 };
  }

  /** Verifies signature, issuer and expiry; throws `access-token-expired` or `invalid-token`. */
  async verify(token: string): Promise<AccessClaims> {
    const cached = this.verifyCached(token);
    if (cached) return cached;
    try {
      const claims = await this.verifyUncached(token);
      this.cache.set(cacheKey(token), { token, claims });
      this.options.metrics?.tokensVerified.inc({ result: 'valid' });
      return claims;
    } catch (error) {
      this.options.metrics?.tokensVerified.inc({ result: error instanceof AppError ? error.code : 'error' });
      throw error;
    }
  }

  /**
   * The claims of a token verified before, from memory; `undefined` when it has to be verified. Throws
   * `access-token-expired` for a cached token past its `exp`. Why: no promise on the hot path.
   */
  verifyCached(token: string): AccessClaims | undefined {
    const cached = this.cache.get(cacheKey(token));
    if (cached?.token !== token) return undefined;
    if (cached.claims.exp * 1000 <= this.options.clock.now()) {
      this.options.metrics?.tokensVerified.inc({ result: 'expired' });
      throw new AppError('access-token-expired');
    }
    this.options.metrics?.tokensVerified.inc({ result: 'cache' });
    return cached.claims;
  }

  private async verifyUncached(token: string): Promise<AccessClaims> {
    const ring = await this.keys.current();
    try {
      return await this.verifyWith(ring, token);
    } catch (error) {
      if (!(error instanceof UnknownKey)) throw error;
      // A key rotated on another node since this one read its keys: read them again, once (at most once a second).
      if (await this.keys.reloadForUnknownKey()) return this.verifyAfterReload(token);
      throw new AppError('invalid-token');
    }
  }

  /** The second try after a reload; a kid still unknown is a forged or foreign token, never a server error. */
  private async verifyAfterReload(token: string): Promise<AccessClaims> {
    try {
      return await this.verifyWith(this.keys.loaded, token);
    } catch (error) {
      throw error instanceof UnknownKey ? new AppError('invalid-token') : error;
    }
  }

  private async verifyWith(ring: KeyRing, token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, (header) => keyFor(ring, header), {
        algorithms: [...new Set([...ring.verifiers.values()].map((key) => key.algorithm))],
        issuer: this.options.issuer,
        currentDate: new Date(this.options.clock.now()),
        requiredClaims: ['jti', 'sub', 'iat', 'exp', 'sid'],
      });
      if (typeof payload.sid !== 'string' || !Array.isArray(payload.roles)) throw new AppError('invalid-token');
      return payload as unknown as AccessClaims;
    } catch (error) {
      if (error instanceof AppError || error instanceof UnknownKey) throw error;
      if (error instanceof joseErrors.JWTExpired) throw new AppError('access-token-expired');
      throw new AppError('invalid-token');
    }
  }
}

/** The verified-token cache's key: the last 32 characters (192 bits) of the signature. */
function cacheKey(token: string): string {
  return token.slice(-32);
}

/** A token names a key id this node has not loaded. */
class UnknownKey extends Error {}

function keyFor(ring: KeyRing, header: JWTHeaderParameters) {
  const key = header.kid ? ring.verifiers.get(header.kid) : undefined;
  if (!key) throw new UnknownKey();
  if (key.algorithm !== header.alg) throw new AppError('invalid-token');
  return key.key;
}
