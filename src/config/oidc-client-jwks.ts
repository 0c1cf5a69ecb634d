import { createPublicKey, type JsonWebKey } from 'node:crypto';
import type { JWK } from 'jose';

/*
 * The public keys a `private_key_jwt` client registers by value (RFC 7517 JWK Set; RFC 7523 client assertions).
 * Only what verifies a signature is accepted: a private or symmetric key would be a secret stored in clear and shown
 * to every reader of the client.
 */

/** Most keys in a client's set: a current key and a few in rotation. */
export const MAX_CLIENT_JWKS_KEYS = 10;
/** Members that only a private (or symmetric) key has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
const KEY_TYPES = ['RSA', 'EC', 'OKP'];
/** NIST SP 800-131A: RSA keys under 2048 bits no longer sign. */
const MIN_RSA_BITS = 2048;

/** A problem with one member of the set, named from `jwks`. */
interface Problem {
  field: string;
  message: string;
}

/** The set as given when every key is a usable public signing key, else null with every problem in `errors`. */
export function checkJwks(raw: unknown, errors: Problem[]): { keys: JWK[] } | null {
  if (!isObject(raw) || !Array.isArray(raw.keys)) {
    errors.push({ field: 'jwks', message: 'must be a JWK Set: {"keys": [ …public keys… ]}' });
    return null;
  }
  const keys: unknown[] = raw.keys;
  if (keys.length === 0 || keys.length > MAX_CLIENT_JWKS_KEYS) {
    errors.push({ field: 'jwks.keys', message: `must list 1 to ${MAX_CLIENT_JWKS_KEYS} public keys (got ${keys.length})` });
    return null;
  }
  const before = errors.length;
  keys.forEach((key, index) => {
    const problem = keyProblem(key);
    if (problem) errors.push({ field: `jwks.keys.${index}`, message: problem });
  });
  const kids = keys.map((key) => (isObject(key) ? key.kid : undefined)).filter((kid) => kid !== undefined);
  if (new Set(kids).size !== kids.length) errors.push({ field: 'jwks.keys', message: 'must not repeat a "kid"' });
  return errors.length > before ? null : { keys: keys as JWK[] };
}

/** Why one key is refused, or null. */
function keyProblem(key: unknown): string | null {
  if (!isObject(key)) return 'must be a JWK object';
  if (typeof key.kty !== 'string' || !KEY_TYPES.includes(key.kty)) return 'must have "kty" RSA, EC or OKP (a public key; symmetric "oct" keys are refused)';
  const secret = PRIVATE_MEMBERS.find((member) => member in key);
  if (secret) return `is a private key (it has "${secret}"): register the public key only`;
  if (key.kid !== undefined && (typeof key.kid !== 'string' || key.kid.length === 0 || key.kid.length > 256)) return '"kid" must be a string of 1 to 256 characters';
  if (key.use !== undefined && key.use !== 'sig') return '"use" must be "sig" (these keys verify client assertions)';
  try {
    const parsed = createPublicKey({ key: key as JsonWebKey, format: 'jwk' });
    const bits = parsed.asymmetricKeyDetails?.modulusLength;
    if (key.kty === 'RSA' && (bits === undefined || bits < MIN_RSA_BITS)) return `must be an RSA key of at least ${MIN_RSA_BITS} bits`;
  } catch (error) {
    return `is not a valid public key (${(error as Error).message})`;
  }
  return null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
