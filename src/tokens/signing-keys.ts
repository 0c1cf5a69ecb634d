import { createHash } from 'node:crypto';
import { exportJWK, exportSPKI, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { TokenAlgorithm } from '../config/index.js';
import type { DB, SigningKeyRow } from '../db/types.js';

/**
 * The algorithms the OpenID provider signs ID tokens (and JWT access tokens) with: RS256 first, the default every
 * client library expects (OIDC Core §15.1), then the others discovery lists (CONTRACT §5). Kept with the keys, since
 * `gatehouse keys rotate` rotates them too.
 */
export const PROVIDER_ALGORITHMS = ['RS256', 'RS512', 'ES256'] as const;

/** A key ready to verify tokens carrying its `kid`. */
export interface VerificationKey {
  kid: string;
  algorithm: TokenAlgorithm;
  key: CryptoKey | Uint8Array;
  publicJwk: JWK | null;
}

/** The signing key and every key that still verifies live tokens. */
export interface KeyRing {
  signer: { kid: string; algorithm: TokenAlgorithm; key: CryptoKey | Uint8Array };
  verifiers: Map<string, VerificationKey>;
  /** Public keys as a JWK Set (RFC 7517 §5); empty for HS512, whose key is secret. */
  jwks: { keys: JWK[] };
  /** The current public key in PEM (SPKI); null for HS512. */
  publicKeyPem: string | null;
}

const generateOptions: Record<Exclude<TokenAlgorithm, 'HS512'>, Parameters<typeof generateKeyPair>[1]> = {
  RS512: { modulusLength: 2048, extractable: true },
  RS256: { modulusLength: 2048, extractable: true },
  ES256: { extractable: true },
  EdDSA: { crv: 'Ed25519', extractable: true },
};

/**
 * Loads the key ring, generating and persisting the first asymmetric key on first start.
 * HS512 uses `tokens.hmacSecret` and never stores it (seed 002: the secret lives in configuration).
 */
export async function loadKeyRing(
  db: Kysely<DB>,
  options: { algorithm: TokenAlgorithm; hmacSecret: string | null; clock: Clock },
): Promise<KeyRing> {
  if (options.algorithm === 'HS512') return { ...hmacKeyRing(options.hmacSecret), jwks: { keys: publicJwks(await liveKeys(db)) } };
  let rows = await liveKeys(db);
  if (!rows.some((row) => row.algorithm === options.algorithm)) {
    await insertNewKey(db, options.algorithm, options.clock.now());
    rows = await liveKeys(db);
  }
  return buildRing(rows, options.algorithm);
}

/**
 * Makes a new key the signer of each algorithm and retires the previous ones, which keep verifying
 * (`gatehouse keys rotate`): the access tokens' algorithm and the OpenID provider's (oidc-provider/keys.ts) at once.
 */
export async function rotateSigningKeys(db: Kysely<DB>, algorithms: readonly TokenAlgorithm[], now: number): Promise<string[]> {
  const asymmetric = [...new Set(algorithms)].filter((a): a is Exclude<TokenAlgorithm, 'HS512'> => a !== 'HS512');
  if (asymmetric.length === 0) throw new Error('tokens.algorithm HS512 has no stored key to rotate; change tokens.hmacSecret instead');
  const kids: string[] = [];
  for (const algorithm of asymmetric) kids.push(await insertNewKey(db, algorithm, now));
  await db.updateTable('signing_keys').set({ retired_at: now }).where('kid', 'not in', kids).where('retired_at', 'is', null).execute();
  return kids;
}

/**
 * The private key of the signer of each algorithm, made when missing (first start of the provider). Why the newest
 * unretired one: every node reads the same rows, so all sign with the same key; a key retired by a rotation keeps
 * verifying through the JWKS but no longer signs.
 */
export async function currentPrivateJwks(db: Kysely<DB>, algorithms: readonly Exclude<TokenAlgorithm, 'HS512'>[], now: number): Promise<JWK[]> {
  let rows = await liveKeys(db);
  const missing = algorithms.filter((algorithm) => !rows.some((row) => row.algorithm === algorithm && row.retired_at === null));
  for (const algorithm of missing) await insertNewKey(db, algorithm, now);
  if (missing.length) rows = await liveKeys(db);
  return algorithms.map((algorithm) => {
    const row = rows.filter((r) => r.algorithm === algorithm && r.retired_at === null).at(-1)!;
    return { ...(JSON.parse(row.private_jwk) as JWK), kid: row.kid, alg: algorithm, use: 'sig' };
  });
}

async function liveKeys(db: Kysely<DB>): Promise<SigningKeyRow[]> {
  return db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'asc').orderBy('kid', 'asc').execute();
}

async function insertNewKey(db: Kysely<DB>, algorithm: Exclude<TokenAlgorithm, 'HS512'>, now: number): Promise<string> {
  const { privateKey, publicKey } = await generateKeyPair(algorithm, generateOptions[algorithm]);
  const publicJwk = await exportJWK(publicKey);
  const kid = thumbprintKid(publicJwk);
  await db
    .insertInto('signing_keys')
    .values({
      kid,
      algorithm,
      private_jwk: JSON.stringify(await exportJWK(privateKey)),
      public_jwk: JSON.stringify({ ...publicJwk, kid, alg: algorithm, use: 'sig' }),
      created_at: now,
      retired_at: null,
    })
    .execute();
  return kid;
}

/**
 * The signer is the newest unretired key of the configured algorithm; when two nodes race on first start and
 * both insert a key, they settle on the same one because the choice depends only on stored rows.
 */
async function buildRing(rows: SigningKeyRow[], algorithm: TokenAlgorithm): Promise<KeyRing> {
  const candidates = rows.filter((row) => row.algorithm === algorithm && row.retired_at === null);
  const signerRow = candidates.length ? candidates[candidates.length - 1]! : rows.filter((r) => r.algorithm === algorithm).at(-1)!;
  const verifiers = new Map<string, VerificationKey>();
  for (const row of rows) {
    const publicJwk = JSON.parse(row.public_jwk) as JWK;
    const key = (await importJWK(publicJwk, row.algorithm)) as CryptoKey;
    verifiers.set(row.kid, { kid: row.kid, algorithm: row.algorithm as TokenAlgorithm, key, publicJwk });
  }
  const signingKey = (await importJWK(JSON.parse(signerRow.private_jwk) as JWK, algorithm)) as CryptoKey;
  const publicKey = verifiers.get(signerRow.kid)!.key as CryptoKey;
  return {
    signer: { kid: signerRow.kid, algorithm, key: signingKey },
    verifiers,
    jwks: { keys: [...verifiers.values()].map((v) => v.publicJwk!).filter(Boolean) },
    publicKeyPem: await exportSPKI(publicKey),
  };
}

/**
 * The public keys stored beside an HMAC secret: the OpenID provider's (oidc-provider/keys.ts), which its apps verify
 * through the same JWKS. Access tokens signed with the secret are never verifiable there.
 */
function publicJwks(rows: SigningKeyRow[]): JWK[] {
  return rows.map((row) => JSON.parse(row.public_jwk) as JWK);
}

function hmacKeyRing(secret: string | null): KeyRing {
  if (!secret) throw new Error('tokens.hmacSecret: required for HS512');
  const key = new TextEncoder().encode(secret);
  const kid = createHash('sha256').update(`kid:${secret}`).digest('base64url').slice(0, 16);
  const verifiers = new Map<string, VerificationKey>([[kid, { kid, algorithm: 'HS512', key, publicJwk: null }]]);
  return { signer: { kid, algorithm: 'HS512', key }, verifiers, jwks: { keys: [] }, publicKeyPem: null };
}

/** A short key id derived from the public key itself, stable across nodes. */
function thumbprintKid(jwk: JWK): string {
  return createHash('sha256').update(JSON.stringify(jwk)).digest('base64url').slice(0, 16);
}
