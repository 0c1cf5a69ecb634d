import type { JWK } from 'jose';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { DB } from '../db/types.js';
import { currentPrivateJwks, PROVIDER_ALGORITHMS } from '../tokens/signing-keys.js';
import type { KeyStore } from '../tokens/key-store.js';

/**
 * The provider's signing keys, kept with every other key in `signing_keys` (one JWKS, one rotation). Why it follows
 * the key store: the store reloads the keys every 30 s and when told of a rotation, so a new ring is the moment to
 * read the provider's keys again; `changed` tells the caller to build the provider anew with them.
 */
export class ProviderKeys {
  private ring: unknown = null;
  private jwks: JWK[] = [];

  constructor(private readonly db: Kysely<DB>, private readonly keyStore: KeyStore, private readonly clock: Clock) {}

  /** The current private keys, and whether they differ from the ones returned last time. */
  async current(): Promise<{ keys: JWK[]; changed: boolean }> {
    const ring = await this.keyStore.current();
    if (ring === this.ring) return { keys: this.jwks, changed: false };
    const keys = await currentPrivateJwks(this.db, PROVIDER_ALGORITHMS, this.clock.now());
    const changed = keys.map((k) => k.kid).join() !== this.jwks.map((k) => k.kid).join();
    this.ring = ring;
    this.jwks = keys;
    // A key made here is new to the store too: reload it so the JWKS publishes it before any token it signs is seen.
    if (changed && keys.some((key) => !this.keyStore.loaded.verifiers.has(key.kid!))) await this.keyStore.reload();
    this.ring = this.keyStore.loaded;
    return { keys, changed };
  }
}
