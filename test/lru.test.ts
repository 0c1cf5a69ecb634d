import { describe, expect, it } from 'vitest';
import { LruCache } from '../src/util/lru.js';

/* The bounded caches behind every per-node cache (tokens, sessions, profiles, SQLite statements). */
describe('LruCache', () => {
  it('answers what was set, and undefined for what was not or was deleted', () => {
    const cache = new LruCache<string, number>(4);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 3);
    expect(cache.get('a')).toBe(3);
    expect(cache.get('b')).toBe(2);
    expect(cache.get('c')).toBeUndefined();
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.get('b')).toBeUndefined();
  });

  it('never holds more than its capacity, however many keys pass through', () => {
    const cache = new LruCache<number, number>(100);
    for (let i = 0; i < 10_000; i++) {
      cache.set(i, i);
      expect(cache.size).toBeLessThanOrEqual(100);
      expect(cache.size).toBeGreaterThanOrEqual(Math.min(i + 1, 50));
    }
    // The newest entries are the ones kept.
    expect(cache.get(9_999)).toBe(9_999);
    expect(cache.get(0)).toBeUndefined();
  });

  it('keeps an entry that is used while others come and go, and drops one that is not', () => {
    const cache = new LruCache<string, number>(10);
    cache.set('hot', 1);
    cache.set('cold', 2);
    for (let i = 0; i < 1_000; i++) {
      cache.set(`k${i}`, i);
      // Used at least once every capacity / 2 insertions: never evicted.
      if (i % 5 === 0) expect(cache.get('hot')).toBe(1);
    }
    expect(cache.get('hot')).toBe(1);
    expect(cache.get('cold')).toBeUndefined();
  });

  it('a value replaced in the older generation is not resurrected by a later read', () => {
    const cache = new LruCache<string, string>(4);
    cache.set('x', 'old');
    cache.set('y', '1');
    // 'x' and 'y' fill the first generation; inserting 'z' moves them to the older one.
    cache.set('z', '2');
    cache.set('x', 'new');
    expect(cache.get('x')).toBe('new');
    cache.delete('x');
    expect(cache.get('x')).toBeUndefined();
  });

  it('refuses a capacity below one', () => {
    expect(() => new LruCache(0)).toThrow(/at least 1/);
  });
});
