import { randomBytes, scryptSync } from 'node:crypto';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import { hash as argon2Hash, type Algorithm } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import { AppError } from '../src/http/errors.js';
import { createLimiter, createPasswordHasher, waitingBound, type HashParams } from '../src/passwords/hasher.js';
import { MAX_PASSWORD_LENGTH, checkPasswordPolicy, compilePolicy, type PasswordPolicy } from '../src/passwords/policy.js';

const LOW: HashParams = { memoryCost: 1024, timeCost: 1, parallelism: 1 };
const PRODUCTION: HashParams = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

function passlibScrypt(password: string, ln: number, r: number, p: number, alphabet: 'ab64' | 'std'): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 32, { N: 2 ** ln, r, p, maxmem: 256 * 2 ** ln * r });
  const enc = (b: Buffer) => {
    const s = b.toString('base64').replace(/=+$/, '');
    return alphabet === 'ab64' ? s.replaceAll('+', '.') : s;
  };
  return `$scrypt$ln=${ln},r=${r},p=${p}$${enc(salt)}$${enc(key)}`;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('password hasher', () => {
  const hasher = createPasswordHasher({ ...LOW, concurrency: 2 });

  it('hashes to argon2id PHC with the current parameters and verifies', async () => {
    const h = await hasher.hash('correct horse');
    expect(h).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$[^$]+\$[^$]+$/);
    expect(await hasher.verify(h, 'correct horse')).toBe(true);
    expect(await hasher.verify(h, 'correct horsE')).toBe(false);
    expect(hasher.needsRehash(h)).toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hasher.hash('same')).not.toBe(await hasher.hash('same'));
  });

  it('verifies argon2id of other parameters and flags it for rehash', async () => {
    const other = createPasswordHasher({ memoryCost: 2048, timeCost: 2, parallelism: 1, concurrency: 1 });
    const h = await other.hash('pw');
    expect(await hasher.verify(h, 'pw')).toBe(true);
    expect(hasher.needsRehash(h)).toBe(true);
    expect(other.needsRehash(h)).toBe(false);
  });

  it('verifies argon2i and argon2d and flags them for rehash', async () => {
    for (const algorithm of [0, 1] as Algorithm[]) {
      const h = await argon2Hash('pw', { ...LOW, algorithm });
      expect(h).toMatch(/^\$argon2[id]\$/);
      expect(await hasher.verify(h, 'pw')).toBe(true);
      expect(await hasher.verify(h, 'px')).toBe(false);
      expect(hasher.needsRehash(h)).toBe(true);
    }
  });

  it('verifies bcrypt $2a$ $2b$ $2y$ and flags them for rehash', async () => {
    const h = await bcryptHash('hunter2', 4);
    expect(h.startsWith('$2b$04$')).toBe(true);
    for (const variant of ['$2a$', '$2b$', '$2y$']) {
      const v = variant + h.slice(4);
      expect(await hasher.verify(v, 'hunter2')).toBe(true);
      expect(await hasher.verify(v, 'hunter3')).toBe(false);
      expect(hasher.needsRehash(v)).toBe(true);
    }
  });

  it('verifies passlib scrypt in both base64 alphabets', async () => {
    for (const alphabet of ['ab64', 'std'] as const) {
      const h = passlibScrypt('s3cret pässword', 10, 8, 1, alphabet);
      expect(await hasher.verify(h, 's3cret pässword')).toBe(true);
      expect(await hasher.verify(h, 's3cret password')).toBe(false);
      expect(hasher.needsRehash(h)).toBe(true);
    }
  });

  it("verifies passlib's documented scrypt example (ln=16)", async () => {
    const h = '$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E';
    expect(await hasher.verify(h, 'password')).toBe(true);
    expect(await hasher.verify(h, 'Password')).toBe(false);
  });

  it('returns false, never throws, on garbage and unsupported hashes', async () => {
    const key = randomBytes(32).toString('base64').replace(/=+$/, '');
    const garbage = [
      '',
      'garbage',
      'plaintext-password',
      '$argon2id$',
      '$argon2id$v=19$m=1024,t=1,p=1$AAAA$',
      '$argon2id$v=19$m=1024,t=1,p=1$!!!$???',
      '$argon2id$v=19$m=4294967295,t=1,p=1$c2FsdHNhbHQ$' + key, // would allocate 4 TiB
      '$argon2id$v=19$m=1024,t=100000,p=1$c2FsdHNhbHQ$' + key,
      '$2b$04$short',
      '$2b$04$' + '!'.repeat(53),
      '$scrypt$ln=10,r=8,p=1$$',
      '$scrypt$ln=10,r=8,p=1$c2FsdA$',
      '$scrypt$ln=10,r=8,p=1$c2FsdA$AAAA', // key too short to mean anything
      `$scrypt$ln=40,r=8,p=1$c2FsdA$${key}`, // would allocate terabytes
      '$scrypt$ln=10,r=0,p=1$c2FsdA$' + key,
      '$7$C6..../....SodiumChloride$kBGj9fHznVYFQMEn/qDCfrDevf9YDtcDdKvEqHJLV8D',
      '$pbkdf2-sha256$29000$N2bsfTQm$abc',
      '$1$abc$def',
    ];
    for (const g of garbage) {
      await expect(hasher.verify(g, 'pw')).resolves.toBe(false);
      expect(hasher.needsRehash(g)).toBe(true);
    }
    await expect(hasher.verify(null as unknown as string, 'pw')).resolves.toBe(false);
    expect(hasher.needsRehash(undefined as unknown as string)).toBe(true);
  });

  it('verifyDummy does real work once the dummy hash exists, and computes that hash only once', async () => {
    let started = 0;
    const h = createPasswordHasher({ ...LOW, concurrency: 1, onActiveChange: (n) => void (n === 1 && started++) });
    await h.verifyDummy('anything');
    expect(started).toBe(2); // the lazy hash, then the verify
    await h.verifyDummy('anything else');
    await h.verifyDummy('');
    expect(started).toBe(4); // one verify each, no new hash
  });

  it('rejects nonsensical parameters at creation', () => {
    expect(() => createPasswordHasher({ ...LOW, memoryCost: 0, concurrency: 1 })).toThrow(RangeError);
    expect(() => createPasswordHasher({ ...LOW, concurrency: 0 })).toThrow(RangeError);
    expect(() => createPasswordHasher({ ...LOW, timeCost: 1.5, concurrency: 1 })).toThrow(RangeError);
  });

  it('keeps the production parameters working (m=19456, t=2, p=1)', async () => {
    const prod = createPasswordHasher({ ...PRODUCTION, concurrency: 2 });
    const h = await prod.hash('Correct-Horse-9');
    expect(h).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await prod.verify(h, 'Correct-Horse-9')).toBe(true);
    expect(await prod.verify(h, 'correct-horse-9')).toBe(false);
    expect(prod.needsRehash(h)).toBe(false);
    expect(hasher.needsRehash(h)).toBe(true);
    await prod.verifyDummy('x');
  });
});

describe('concurrency cap', () => {
  async function maxInFlight(concurrency: number, ops: number): Promise<number> {
    let max = 0;
    const h = createPasswordHasher({ ...LOW, concurrency, onActiveChange: (n) => (max = Math.max(max, n)) });
    const stored = await h.hash('pw');
    max = 0;
    const results = await Promise.all(Array.from({ length: ops }, () => h.verify(stored, 'pw')));
    expect(results).toEqual(Array(ops).fill(true));
    return max;
  }

  it('never runs more than one hash operation at once with concurrency 1', async () => {
    expect(await maxInFlight(1, 4)).toBe(1);
  });

  it('lets two overlap with concurrency 2', async () => {
    expect(await maxInFlight(2, 4)).toBe(2);
  });

  it('limiter runs tasks in FIFO order and frees the slot when a task fails', async () => {
    const limit = createLimiter(1);
    const order: string[] = [];
    const gate = deferred();
    const first = limit(async () => {
      order.push('a start');
      await gate.promise;
      throw new Error('boom');
    });
    const rest = ['b', 'c', 'd'].map((name) => limit(async () => void order.push(name)));
    await Promise.resolve();
    expect(order).toEqual(['a start']);
    gate.resolve();
    await expect(first).rejects.toThrow('boom');
    await Promise.all(rest);
    expect(order).toEqual(['a start', 'b', 'c', 'd']);
  });

  it('limiter overlaps up to its limit and no further', async () => {
    let running = 0;
    let max = 0;
    const limit = createLimiter(2);
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const tasks = gates.map((g) =>
      limit(async () => {
        max = Math.max(max, ++running);
        await g.promise;
        running--;
      }),
    );
    await Promise.resolve();
    expect(running).toBe(2);
    for (const g of gates) g.resolve();
    await Promise.all(tasks);
    expect(max).toBe(2);
  });

  it('limiter counts a synchronous throw as a failed task', async () => {
    const limit = createLimiter(1);
    await expect(limit(() => { throw new Error('sync'); })).rejects.toThrow('sync');
    await expect(limit(async () => 42)).resolves.toBe(42);
  });
});

describe('bounded wait queue (issue 14 item 6)', () => {
  const isOverloaded = (error: unknown) => error instanceof AppError && error.code === 'overloaded' && error.status === 503 && error.extra.retryAfterSeconds! >= 1;

  it('refuses at once with 503 overloaded, without running the task, when maxWaiting tasks already wait', async () => {
    const limit = createLimiter(1, { maxWaiting: 2 });
    const gate = deferred();
    const ran: number[] = [];
    const tasks = [0, 1, 2].map((i) => limit(async () => { ran.push(i); await gate.promise; }));
    expect(limit.load()).toEqual({ active: 1, waiting: 2, maxWaiting: 2, refused: 0, completed: 0 });
    const refused = await limit(async () => void ran.push(3)).catch((error: unknown) => error);
    expect(isOverloaded(refused)).toBe(true);
    gate.resolve();
    await Promise.all(tasks);
    expect(ran).toEqual([0, 1, 2]);
    expect(limit.load()).toEqual({ active: 0, waiting: 0, maxWaiting: 2, refused: 1, completed: 3 });
  });

  it('makes room for a caller from another key by refusing the newest place of the key holding the most', async () => {
    const limit = createLimiter(1, { maxWaiting: 3 });
    const gate = deferred();
    const ran: string[] = [];
    const task = (name: string, key: string) => limit(async () => { ran.push(name); await gate.promise; }, key).then(() => 'ok', (error: unknown) => (isOverloaded(error) ? 'overloaded' : 'other'));
    const flood = ['f0', 'f1', 'f2', 'f3'].map((name) => task(name, 'flooder'));
    const other = task('other', 'someone else');
    // The flooder gets no room from itself; a third key takes the flooder's next newest place.
    const sixth = task('f4', 'flooder');
    const third = task('third', 'third');
    gate.resolve();
    expect(await Promise.all([...flood, other, sixth, third])).toEqual(['ok', 'ok', 'overloaded', 'overloaded', 'ok', 'overloaded', 'ok']);
    expect(ran).toEqual(['f0', 'f1', 'other', 'third']);
  });

  it('bounds the hasher at waitingBound(concurrency), and a full queue is no wrong password: it rejects, not false', async () => {
    expect(waitingBound(1)).toBe(16);
    expect(waitingBound(4)).toBe(32);
    const hasher = createPasswordHasher({ ...LOW, concurrency: 1 });
    const stored = await hasher.hash('pw');
    const checks = Array.from({ length: 40 }, () => hasher.verify(stored, 'pw', '192.0.2.1').then(String, (error: unknown) => (isOverloaded(error) ? 'overloaded' : 'other')));
    expect(hasher.load()).toMatchObject({ active: 1, waiting: 16 });
    const outcomes = await Promise.all(checks);
    expect(outcomes.filter((o) => o === 'true')).toHaveLength(17);
    expect(outcomes.filter((o) => o === 'overloaded')).toHaveLength(23);
  });
});

describe('password policy', () => {
  const OFF: PasswordPolicy = { lowercase: false, uppercase: false, number: false, symbol: false, minLength: 0, custom: [] };
  const rules = (password: string, policy: Partial<PasswordPolicy>) => checkPasswordPolicy(password, { ...OFF, ...policy }).map((v) => v.rule);

  it('accepts anything with every rule off', () => {
    expect(checkPasswordPolicy('', OFF)).toEqual([]);
    expect(checkPasswordPolicy('x', OFF)).toEqual([]);
  });

  it('minLength alone', () => {
    expect(checkPasswordPolicy('abcdefghi', { ...OFF, minLength: 10 })).toEqual([{ rule: 'minLength', message: 'must be at least 10 characters' }]);
    expect(rules('abcdefghij', { minLength: 10 })).toEqual([]);
  });

  it('lowercase alone', () => {
    expect(rules('ABC123', { lowercase: true })).toEqual(['lowercase']);
    expect(rules('ABCß', { lowercase: true })).toEqual([]);
    expect(checkPasswordPolicy('A', { ...OFF, lowercase: true })[0]?.message).toBe('must contain a lowercase letter');
  });

  it('uppercase alone', () => {
    expect(rules('abc123', { uppercase: true })).toEqual(['uppercase']);
    expect(rules('abcÉ', { uppercase: true })).toEqual([]);
    expect(checkPasswordPolicy('a', { ...OFF, uppercase: true })[0]?.message).toBe('must contain an uppercase letter');
  });

  it('number alone', () => {
    expect(rules('abcDEF', { number: true })).toEqual(['number']);
    expect(rules('abc7', { number: true })).toEqual([]);
    expect(rules('abc٣', { number: true })).toEqual([]); // Arabic-Indic digit is \p{Nd}
  });

  it('symbol alone, whitespace counting as one', () => {
    expect(rules('abcDEF123', { symbol: true })).toEqual(['symbol']);
    expect(rules('abc!', { symbol: true })).toEqual([]);
    expect(rules('abc def', { symbol: true })).toEqual([]);
    expect(rules('пароль', { symbol: true })).toEqual(['symbol']); // non-Latin letters are letters
  });

  it('reports every unmet rule at once, in a stable order', () => {
    const policy: PasswordPolicy = { lowercase: true, uppercase: true, number: true, symbol: true, minLength: 10, custom: ['^x', 'y$'] };
    const violations = checkPasswordPolicy('', policy);
    expect(violations.map((v) => v.rule)).toEqual(['minLength', 'lowercase', 'uppercase', 'number', 'symbol', 'custom', 'custom']);
    expect(violations.filter((v) => v.rule === 'custom').map((v) => v.pattern)).toEqual(['^x', 'y$']);
    for (const v of violations) expect(v.message).toMatch(/^must /);
    expect(checkPasswordPolicy('xAb3!-----y', policy)).toEqual([]);
  });

  it('caps length at 2048 code points even with every rule off', () => {
    expect(MAX_PASSWORD_LENGTH).toBe(2048);
    expect(checkPasswordPolicy('a'.repeat(2048), OFF)).toEqual([]);
    expect(checkPasswordPolicy('a'.repeat(2049), OFF)).toEqual([{ rule: 'maxLength', message: 'must be at most 2048 characters' }]);
    expect(rules('a'.repeat(100_000), { uppercase: true })).toEqual(['maxLength', 'uppercase']);
  });

  it('counts emoji and other astral characters as one character', () => {
    expect(rules('😀'.repeat(2048), {})).toEqual([]); // 4096 UTF-16 units
    expect(rules('😀'.repeat(2049), {})).toEqual(['maxLength']);
    expect(rules('😀😀😀', { minLength: 4 })).toEqual(['minLength']);
    expect(rules('😀😀😀😀', { minLength: 4 })).toEqual([]);
    expect(rules('𝐀𝐁𝐂𝐃', { minLength: 4, uppercase: true })).toEqual([]); // astral letters are still \p{Lu}
    expect(rules('𝐀𝐁𝐂😀', { symbol: true })).toEqual([]); // an emoji is a symbol
  });

  it('custom patterns must each match, and violations name the pattern', () => {
    const policy = { ...OFF, custom: ['\\d{2}', '^[^ ]+$'] };
    expect(checkPasswordPolicy('ab12', policy)).toEqual([]);
    expect(checkPasswordPolicy('ab 1', policy)).toEqual([
      { rule: 'custom', message: 'must match the pattern \\d{2}', pattern: '\\d{2}' },
      { rule: 'custom', message: 'must match the pattern ^[^ ]+$', pattern: '^[^ ]+$' },
    ]);
    expect(rules('😀x', { custom: ['^.x$'] })).toEqual([]); // compiled with the u flag: . is one code point
  });

  it('a compiled policy can be reused and rejects invalid patterns up front', () => {
    const check = compilePolicy({ ...OFF, minLength: 3, custom: ['a'] });
    expect(check('aaa')).toEqual([]);
    expect(check('aaa')).toEqual([]);
    expect(check('bb').map((v) => v.rule)).toEqual(['minLength', 'custom']);
    expect(() => compilePolicy({ ...OFF, custom: ['(unclosed'] })).toThrow(/password\.policy\.custom.*\(unclosed/);
  });
});
