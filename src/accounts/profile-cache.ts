import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { ClusterBus } from '../cluster/bus.js';
import type { DB } from '../db/types.js';
import type { Awaitable } from '../util/awaitable.js';
import { LruCache } from '../util/lru.js';

/** What "who is calling" answers need of an account on every request (`GET /auth/user`). */
export interface AccountProfile {
  id: string;
  username: string;
  language: string | null;
}

/** A cached profile is read again after this long, should a change broadcast ever be lost unnoticed. */
const RECHECK_AFTER_MS = 60_000;

/**
 * Account profiles by id, so an authenticated read costs no database round trip (DESIGN "Performance by design").
 * A change on this node drops the entry and is broadcast, so every node drops it; entries are re-read after a
 * minute regardless. Only display fields live here: whether a credential is still good is the sessions' business.
 */
export class ProfileCache {
  private readonly profiles = new LruCache<string, { profile: AccountProfile | null; readAt: number }>(100_000);

  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: Clock,
    private readonly bus: Pick<ClusterBus, 'publish'>,
  ) {}

  /** The account's profile, or null when it no longer exists; from memory when read within the last minute. */
  get(accountId: string): Awaitable<AccountProfile | null> {
    const now = this.clock.now();
    const cached = this.profiles.get(accountId);
    if (cached && now - cached.readAt < RECHECK_AFTER_MS) return cached.profile;
    return this.read(accountId, now);
  }

  private async read(accountId: string, now: number): Promise<AccountProfile | null> {
    const row = await this.db.selectFrom('accounts').select(['id', 'username', 'language']).where('id', '=', accountId).executeTakeFirst();
    const profile = row ?? null;
    this.profiles.set(accountId, { profile, readAt: now });
    return profile;
  }

  /** Call after writing a profile field: every node reads it again. */
  async changed(accountId: string): Promise<void> {
    this.profiles.delete(accountId);
    await this.bus.publish({ accountsChanged: [accountId] });
  }

  /** Changes made on other nodes (the broadcast), or every entry after a possible gap in the broadcast. */
  forget(accountIds: string[] | 'all'): void {
    if (accountIds === 'all') this.profiles.clear();
    else for (const id of accountIds) this.profiles.delete(id);
  }
}
