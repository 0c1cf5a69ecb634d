import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { TokenAlgorithm } from '../config/index.js';
import type { DB } from '../db/types.js';
import { loadKeyRing, type KeyRing } from './signing-keys.js';

/** How long a node serves its loaded keys before looking for a rotation in the database. */
export const KEY_RELOAD_MS = 30_000;

/** At most one database read per this interval for tokens naming a key id this node does not know. */
const UNKNOWN_KEY_RELOAD_MS = 1000;

/**
 * The signing keys as every node sees them: loaded from the shared database, looked up again every 30 s (by the
 * injected clock) and at once when a token names a key this node does not know, so `gatehouse keys rotate` on any
 * node reaches every node's JWKS and signer without a restart, and older keys keep verifying their tokens.
 */
export class KeyStore {
  private loadedAt: number;
  private reloading: Promise<void> | null = null;
  private unknownKeyReloadAt = Number.NEGATIVE_INFINITY;

  private constructor(
    private ring: KeyRing,
    private readonly db: Kysely<DB>,
    private readonly options: { algorithm: TokenAlgorithm; hmacSecret: string | null; clock: Clock },
  ) {
    this.loadedAt = options.clock.now();
  }

  /** Loads (on first start: creates) the keys. */
  static async open(db: Kysely<DB>, options: { algorithm: TokenAlgorithm; hmacSecret: string | null; clock: Clock }): Promise<KeyStore> {
    return new KeyStore(await loadKeyRing(db, options), db, options);
  }

  /** The keys, reloaded first when they are older than the reload interval. */
  async current(): Promise<KeyRing> {
    if (this.options.clock.now() - this.loadedAt >= KEY_RELOAD_MS) await this.reload();
    return this.ring;
  }

  /** The keys as loaded, without waiting (for code that must not await). */
  get loaded(): KeyRing {
    return this.ring;
  }

  /** Reads the keys again; concurrent callers share one read. */
  async reload(): Promise<void> {
    this.reloading ??= loadKeyRing(this.db, this.options)
      .then((ring) => {
        this.ring = ring;
        this.loadedAt = this.options.clock.now();
      })
      .finally(() => {
        this.reloading = null;
      });
    await this.reloading;
  }

  /**
   * When a token names an unknown key: reload at most once a second, counted from when a reload starts (no reload
   * storm from forged kids); callers arriving during a reload wait for it. False: no fresh keys to try again with.
   */
  async reloadForUnknownKey(): Promise<boolean> {
    if (this.reloading) {
      await this.reloading;
      return true;
    }
    const now = this.options.clock.now();
    if (now - this.loadedAt < UNKNOWN_KEY_RELOAD_MS || now - this.unknownKeyReloadAt < UNKNOWN_KEY_RELOAD_MS) return false;
    this.unknownKeyReloadAt = now;
    await this.reload();
    return true;
  }
}
