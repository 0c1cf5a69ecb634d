import { scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify, type Algorithm } from '@node-rs/argon2';
import { verify as bcryptVerify } from '@node-rs/bcrypt';
import { AppError } from '../http/errors.js';

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

/** Who a password check is for: its client address, so a full queue makes room fairly (see {@link createLimiter}). */
export type QueueKey = string | null | undefined;

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
   * Anything else, or a malformed hash, resolves to `false`; it never rejects on bad stored data, only with
   * `overloaded` when the wait queue is full (which says nothing about the password).
   * `key` is whose check it is (the client address), for the queue's fairness.
   */
  verify(storedHash: string, password: string, key?: QueueKey): Promise<boolean>;
  /** True unless the hash is argon2id (v=19) with exactly the current parameters, so logins upgrade old hashes. */
  needsRehash(storedHash: string): boolean;
  /** Costs one verify against a fixed hash, so a login for an unknown account takes as long as a real one. */
  verifyDummy(password: string, key?: QueueKey): Promise<void>;
  /** Running and waiting operations. Each method rejects with `overloaded` (503) when the wait queue is full. */
  load(): LimiterLoad;
}

/**
 * Runs a task once a slot is free; see {@link createLimiter}. `key` names who asked (the client address of a login),
 * so a full queue can make room fairly.
 */
export type Limiter = (<T>(fn: () => Promise<T>, key?: string) => Promise<T>) & { load(): LimiterLoad };

/** How busy a limiter is: what the flood test watches (no metric exports it yet). */
export interface LimiterLoad {
  active: number;
  waiting: number;
  maxWaiting: number;
  /** Tasks refused with `overloaded` since the start. */
  refused: number;
  /** Tasks finished (well or not) since the start: with a clock, the rate the queue drains at. */
  completed: number;
}

/** Options of {@link createLimiter}. */
export interface LimiterOptions {
  /** Most tasks waiting for a slot; a task beyond it is refused at once with `overloaded` (no bound if omitted). */
  maxWaiting?: number;
  /** Called with the number of running tasks whenever it changes. */
  onActiveChange?: (active: number) => void;
}

/** How long a refused caller should wait: the queue drains in well under a second (see {@link waitingBound}). */
const OVERLOADED_RETRY_SECONDS = 1;

/** What a caller refused by a full queue is answered: 503 with Retry-After, before any hashing. */
export function overloaded(): AppError {
  return new AppError('overloaded', 'too many password checks are waiting; try again shortly', { retryAfterSeconds: OVERLOADED_RETRY_SECONDS });
}

interface Waiter {
  key: string;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * FIFO semaphore: at most `limit` tasks run at once, so a burst of logins queues instead of occupying
 * every libuv thread that fs and dns also need. With `maxWaiting` the queue is bounded, so a flood costs each
 * later caller at most `maxWaiting / limit` task times of waiting; when it is full, a newcomer whose key holds fewer
 * places than the key holding the most takes that key's newest place (which is refused), else the newcomer is refused.
 */
export function createLimiter(limit: number, { maxWaiting = Infinity, onActiveChange }: LimiterOptions = {}): Limiter {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency must be a positive integer, got ${limit}`);
  let active = 0;
  let refused = 0;
  let completed = 0;
  const waiting: Waiter[] = [];
  const places = new Map<string, number>();
  const count = (key: string, by: number): void => {
    const n = (places.get(key) ?? 0) + by;
    if (n > 0) places.set(key, n);
    else places.delete(key);
  };
  const release = (): void => {
    completed++;
    const next = waiting.shift();
    // Hand the slot straight to the oldest waiter so a newcomer can't overtake the queue.
    if (next) {
      count(next.key, -1);
      return next.resolve();
    }
    active--;
    onActiveChange?.(active);
  };
  /** Frees a place for `key` when the queue is full, by refusing the newest waiter of the heaviest key; false if none is heavier. */
  const makeRoom = (key: string): boolean => {
    let heaviest = '';
    let most = 0;
    for (const [other, n] of places) if (n > most) [heaviest, most] = [other, n];
    if (most <= (places.get(key) ?? 0) + 1) return false;
    const index = waiting.findLastIndex((waiter) => waiter.key === heaviest);
    const [evicted] = waiting.splice(index, 1);
    count(heaviest, -1);
    refused++;
    evicted!.reject(overloaded());
    return true;
  };
  const run = async <T>(fn: () => Promise<T>, key = ''): Promise<T> => {
    if (active < limit) {
      active++;
      onActiveChange?.(active);
    } else {
      if (waiting.length >= maxWaiting && !makeRoom(key)) {
        refused++;
        throw overloaded();
      }
      count(key, 1);
      await new Promise<void>((resolve, reject) => waiting.push({ key, resolve, reject }));
    }
    try {
      return await fn();
    } finally {
      release();
    }
  };
  return Object.assign(run, { load: (): LimiterLoad => ({ active, waiting: waiting.length, maxWaiting, refused, completed }) });
}

/**
 * The bound on waiting password checks: eight per slot (at least 16). A login behind a full queue waits at most
 * `bound / concurrency` hash times — eight, sixteen with one slot; about 0.1–0.4 s with the default parameters —
 * before its own. Why eight: a page opening a dozen parallel Basic requests still fits on a one-core server, and a
 * longer queue only lengthens the wait of everyone in it without answering more logins per second.
 */
export function waitingBound(concurrency: number): number {
  return Math.max(16, 8 * concurrency);
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
  const limit = createLimiter(options.concurrency, { maxWaiting: waitingBound(options.concurrency), onActiveChange: options.onActiveChange });
  const argon2Options = { memoryCost, timeCost, parallelism, algorithm: ARGON2ID };
  let dummyHash: Promise<string> | undefined;

  const hash = (password: string): Promise<string> => limit(() => argon2Hash(password, argon2Options));

  const verify = async (storedHash: string, password: string, key?: QueueKey): Promise<boolean> => {
    if (typeof storedHash !== 'string') return false;
    const queued: Queued = (fn) => limit(fn, key ?? undefined);
    try {
      const argon2 = ARGON2_ANY.exec(storedHash);
      if (argon2) {
        if (Number(argon2[1]) > ARGON2_MAX_MEMORY_KIB || Number(argon2[2]) > ARGON2_MAX_TIME) return false;
        return await queued(() => argon2Verify(storedHash, password));
      }
      if (BCRYPT.test(storedHash)) return await queued(() => bcryptVerify(password, storedHash));
      if (storedHash.startsWith('$scrypt$')) return await verifyScrypt(storedHash, password, queued);
    } catch (error) {
      // The native verifiers throw on undecodable hashes; a corrupt row is a failed login, not a 500. A full queue
      // is no answer about the password: it must not count as a wrong one.
      if (error instanceof AppError) throw error;
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
    async verifyDummy(password: string, key?: QueueKey): Promise<void> {
      dummyHash ??= hash('gatehouse-dummy-password').catch((err: unknown) => {
        dummyHash = undefined;
        throw err;
      });
      await verify(await dummyHash, password, key);
    },
    load: limit.load,
  };
}

/** A task run through the limiter on behalf of one caller. */
type Queued = <T>(fn: () => Promise<T>) => Promise<T>;

async function verifyScrypt(storedHash: string, password: string, limit: Queued): Promise<boolean> {
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
