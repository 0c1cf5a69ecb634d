import { scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify, type Algorithm } from '@node-rs/argon2';
import { verify as bcryptVerify } from '@node-rs/bcrypt';

/** Argon2 cost parameters, kept apart from the hasher so configuration can validate and print them. */
export interface HashParams {
  /** Memory per hash in KiB (`m=`). */
  memoryCost: number;
  /** Passes over memory (`t=`). */
  timeCost: number;
  /** Lanes (`p=`). */
  parallelism: number;
}

/** Options of {@link createPasswordHasher}; the hook exists so tests and metrics can watch the queue. */
export interface PasswordHasherOptions extends HashParams {
  /** Most hash/verify operations running at once; the rest wait in FIFO order. */
  concurrency: number;
  /** Called with the number of running operations whenever it changes. */
  onActiveChange?: (active: number) => void;
}

/**
 * Hashes new passwords with argon2id and verifies stored hashes of any supported kind, so imported
 * accounts keep working and are upgraded on their next login.
 */
export interface PasswordHasher {
  /** Returns an argon2id PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) with the current parameters. */
  hash(password: string): Promise<string>;
  /**
   * Checks a password against a stored hash. Accepted formats:
   * - argon2id / argon2i / argon2d PHC strings with any parameters up to m=1 GiB, t=64
   *   (`$argon2id$v=19$m=…,t=…,p=…$…$…`, `v=` optional);
   * - bcrypt `$2a$`, `$2b$`, `$2y$` (`$2b$<cost>$<22-char salt><31-char hash>`);
   * - passlib scrypt `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>`, base64 without padding in either the
   *   standard (`+`) or passlib ab64 (`.`) alphabet, hash length taken from the stored hash (≥ 16 bytes),
   *   memory 128·r·N up to 1 GiB.
   * Anything else, or a malformed hash, resolves to `false`; it never rejects on bad stored data.
   */
  verify(storedHash: string, password: string): Promise<boolean>;
  /** True unless the hash is argon2id (v=19) with exactly the current parameters, so logins upgrade old hashes. */
  needsRehash(storedHash: string): boolean;
  /** Costs one verify against a fixed hash, so a login for an unknown account takes as long as a real one. */
  verifyDummy(password: string): Promise<void>;
}

/** Runs a task once a slot is free; see {@link createLimiter}. */
export type Limiter = <T>(fn: () => Promise<T>) => Promise<T>;

/**
 * FIFO semaphore: at most `limit` tasks run at once, so a burst of logins queues instead of occupying
 * every libuv thread that fs and dns also need.
 */
export function createLimiter(limit: number, onActiveChange?: (active: number) => void): Limiter {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency must be a positive integer, got ${limit}`);
  let active = 0;
  const waiting: Array<() => void> = [];
  const release = (): void => {
    const next = waiting.shift();
    // Hand the slot straight to the oldest waiter so a newcomer can't overtake the queue.
    if (next) return next();
    active--;
    onActiveChange?.(active);
  };
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active < limit) {
      active++;
      onActiveChange?.(active);
    } else {
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    try {
      return await fn();
    } finally {
      release();
    }
  };
}

// `Algorithm` is a const enum in the typings and `{}` at runtime, which isolatedModules can't inline.
const ARGON2ID = 2 as Algorithm;

const ARGON2_ANY = /^\$argon2(?:id|i|d)\$(?:v=\d+\$)?m=(\d{1,10}),t=(\d{1,10}),p=\d{1,3}\$/;
const ARGON2ID_PARAMS = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;
const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
const SCRYPT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,4}),p=(\d{1,4})\$([A-Za-z0-9+/.]+)\$([A-Za-z0-9+/.]+)$/;

// Stored hashes may come from imports; refuse parameters that would let one row allocate gigabytes
// or spin for minutes. Far above any sane configuration (OWASP: 19 MiB, t=2).
const ARGON2_MAX_MEMORY_KIB = 1024 * 1024;
const ARGON2_MAX_TIME = 64;
const SCRYPT_MAX_MEMORY = 1024 * 1024 * 1024;
const SCRYPT_MIN_KEY_BYTES = 16;

/** Creates the hasher used by registration, login and password changes. */
export function createPasswordHasher(options: PasswordHasherOptions): PasswordHasher {
  const { memoryCost, timeCost, parallelism } = options;
  for (const [name, value] of Object.entries({ memoryCost, timeCost, parallelism })) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`password.hash.${name} must be a positive integer, got ${value}`);
  }
  const limit = createLimiter(options.concurrency, options.onActiveChange);
  const argon2Options = { memoryCost, timeCost, parallelism, algorithm: ARGON2ID };
  let dummyHash: Promise<string> | undefined;

  const hash = (password: string): Promise<string> => limit(() => argon2Hash(password, argon2Options));

  const verify = async (storedHash: string, password: string): Promise<boolean> => {
    if (typeof storedHash !== 'string') return false;
    try {
      const argon2 = ARGON2_ANY.exec(storedHash);
      if (argon2) {
        if (Number(argon2[1]) > ARGON2_MAX_MEMORY_KIB || Number(argon2[2]) > ARGON2_MAX_TIME) return false;
        return await limit(() => argon2Verify(storedHash, password));
      }
      if (BCRYPT.test(storedHash)) return await limit(() => bcryptVerify(password, storedHash));
      if (storedHash.startsWith('$scrypt$')) return await verifyScrypt(storedHash, password, limit);
    } catch {
      // The native verifiers throw on undecodable hashes; a corrupt row is a failed login, not a 500.
    }
    return false;
  };

  return {
    hash,
    verify,
    needsRehash(storedHash: string): boolean {
      const m = typeof storedHash === 'string' ? ARGON2ID_PARAMS.exec(storedHash) : null;
      if (!m) return true;
      return Number(m[1]) !== memoryCost || Number(m[2]) !== timeCost || Number(m[3]) !== parallelism;
    },
    async verifyDummy(password: string): Promise<void> {
      dummyHash ??= hash('gatehouse-dummy-password').catch((err: unknown) => {
        dummyHash = undefined;
        throw err;
      });
      await verify(await dummyHash, password);
    },
  };
}

async function verifyScrypt(storedHash: string, password: string, limit: Limiter): Promise<boolean> {
  const m = SCRYPT.exec(storedHash);
  if (!m) return false;
  const [, ln = '', r = '', p = '', saltText = '', keyText = ''] = m;
  const N = 2 ** Number(ln);
  const blockSize = Number(r);
  const lanes = Number(p);
  if (N < 2 || blockSize < 1 || lanes < 1) return false;
  // OpenSSL needs 128·r·N for V plus 128·r·p for B.
  const memory = 128 * blockSize * (N + lanes);
  if (memory > SCRYPT_MAX_MEMORY) return false;
  const salt = decodeAb64(saltText);
  const expected = decodeAb64(keyText);
  if (!salt || !expected || expected.length < SCRYPT_MIN_KEY_BYTES) return false;
  const actual = await limit(() =>
    scryptAsync(Buffer.from(password, 'utf8'), salt, expected.length, { N, r: blockSize, p: lanes, maxmem: memory + 1024 * 1024 }),
  );
  return timingSafeEqual(actual, expected);
}

// passlib writes unpadded base64, in its ab64 alphabet ('.' for '+') for some schemes and the standard one for others.
function decodeAb64(text: string): Buffer | undefined {
  if (text.length % 4 === 1) return undefined;
  const buf = Buffer.from(text.replaceAll('.', '+'), 'base64');
  return buf.length > 0 ? buf : undefined;
}

function scryptAsync(password: Buffer, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}
