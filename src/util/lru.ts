/**
 * A bounded cache that forgets the least recently used entries first: caches must not grow with traffic.
 *
 * Two generations (the "hashlru" scheme): entries go into `recent`; once it holds half the capacity, the next
 * insertion first turns it into `older` and drops the previous `older` whole. A hit in `recent` is one Map lookup, with no reordering. Why:
 * the classic delete-and-reinsert LRU made every cache hit on the authenticated-read path two Map writes (and, on
 * small maps, a rehash). At most `capacity` entries are held; one used within the last `capacity / 2` insertions
 * is never evicted.
 */
export class LruCache<K, V> {
  private recent = new Map<K, V>();
  private older = new Map<K, V>();

  /** Entries per generation: the two together never exceed the capacity (rounded up to two). */
  private readonly generation: number;

  constructor(capacity: number) {
    if (!(capacity >= 1)) throw new Error(`LruCache capacity must be at least 1, got ${capacity}`);
    this.generation = Math.max(1, Math.floor(capacity / 2));
  }

  get(key: K): V | undefined {
    const value = this.recent.get(key);
    if (value !== undefined) return value;
    const old = this.older.get(key);
    if (old === undefined) return undefined;
    // Used again: promote it, so a full generation can pass before it is dropped.
    this.older.delete(key);
    this.insert(key, old);
    return old;
  }

  set(key: K, value: V): void {
    if (this.recent.has(key)) this.recent.set(key, value);
    else {
      this.older.delete(key);
      this.insert(key, value);
    }
  }

  delete(key: K): void {
    this.recent.delete(key);
    this.older.delete(key);
  }

  clear(): void {
    this.recent.clear();
    this.older.clear();
  }

  /** Entries held (both generations). */
  get size(): number {
    return this.recent.size + this.older.size;
  }

  private insert(key: K, value: V): void {
    if (this.recent.size >= this.generation) {
      this.older = this.recent;
      this.recent = new Map();
    }
    this.recent.set(key, value);
  }
}
