import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { Clock } from '../clock.js';

/** Models whose records belong to a grant: they end with the Gatehouse session their grant was made in. */
const GRANT_BOUND = new Set(['AuthorizationCode', 'AccessToken', 'RefreshToken', 'BackchannelAuthenticationRequest', 'DeviceCode']);

/** What the adapter asks of the request it serves (oidc-provider's `Provider.ctx`), kept abstract for tests. */
export interface RequestSessionLink {
  /** The Gatehouse session an interaction just signed in with, when the current request resumes one. */
  signedInSessionId(): string | undefined;
  /** Whether the current request is an RP-initiated logout the person confirmed ("sign me out"). */
  isLogout(): boolean;
  /** Ends a Gatehouse session (RP-initiated logout ends it too, CONTRACT §5). */
  endGatehouseSession(sessionId: string): Promise<void>;
  /** The request being served (a key for what one request carries from a record's removal to its next save). */
  currentRequest(): object | undefined;
}

/**
 * Thrown by `consume` when another request (on any node) consumed the record first. Why an `invalid_grant`: the
 * loser of the race must get the answer a second exchange gets (RFC 6749 §5.2), not a server error.
 */
export class AlreadyConsumedError extends errors.InvalidGrant {}

/** One record as the adapter hands it to a store; `sessionId` undefined keeps the binding a saved record has. */
export interface RecordToSave {
  payload: AdapterPayload;
  /** Epoch milliseconds on the injected clock, or null for a record without an expiry. */
  expiresAt: number | null;
  /** The lifetime oidc-provider asked for, in seconds (a Redis `EX`). */
  expiresIn: number | undefined;
  sessionId: string | undefined;
  /**
   * A code or token of a grant: written only while the grant exists, in the store's one atomic step. Why: a node that
   * loses a code race revokes the grant while the winner is still saving the tokens it issued; they must not outlive it.
   */
  grantRequired: boolean;
}

/** The lookups oidc-provider makes: by id, by interaction `uid`, by device `userCode`. */
export type LookupField = 'id' | 'uid' | 'userCode';

/**
 * Where the provider's records live: the database (`sql-records.ts`) or Redis (`redis-records.ts`), `oidc.store`.
 * The rules — which Gatehouse session a record belongs to, what logout ends — live once, in this module; a store
 * only keeps records and answers for them atomically across nodes.
 */
export interface RecordStore {
  save(model: string, id: string, record: RecordToSave): Promise<void>;
  /** The payload, unless there is none, it expired, or the Gatehouse session it is bound to is over. */
  find(model: string, field: LookupField, value: string): Promise<AdapterPayload | undefined>;
  /** Compare-and-set of the `consumed` mark: `false` when the record is gone or another request consumed it first. */
  consume(model: string, id: string, at: number): Promise<boolean>;
  /** Removes one record; answers the Gatehouse session it was bound to. */
  remove(model: string, id: string): Promise<string | null>;
  /** Removes every record of a grant (oidc-provider's `revokeByGrantId`). */
  removeGrant(grantId: string): Promise<void>;
  /** The Gatehouse session a grant is bound to. */
  sessionOfGrant(grantId: string): Promise<string | null>;
  /** Binds a grant to the Gatehouse session of the provider's browser session with `uid` (if it has one). */
  bindGrant(grantId: string, sessionUid: string): Promise<void>;
  /**
   * Takes (removes and answers) the browser sessions of ended Gatehouse sessions, and removes their grants with every
   * code and token. Taking is atomic: of two nodes ending the same session, one gets the browser sessions.
   */
  takeSessions(sessionIds: string[]): Promise<AdapterPayload[]>;
  close(): Promise<void>;
}

/** A Gatehouse session row as far as liveness goes (the `sessions` table). */
export interface SessionState {
  revoked_at: number | string | null;
  expires_at: number | string | null;
}

/** Whether a Gatehouse session still counts: it exists, was not revoked, and has not expired on the injected clock. */
export function sessionLive(session: SessionState | undefined, now: number): boolean {
  if (!session || session.revoked_at !== null) return false;
  return session.expires_at === null || Number(session.expires_at) > now;
}

/**
 * node-oidc-provider's storage on a `RecordStore`, so that every node shares codes, tokens, grants, sessions and
 * interactions and a restart keeps them. Why records carry a Gatehouse session: ending that session (logout, an
 * administrator, a password change) must end what was made in it on every node at once, so `find` answers nothing
 * for a record whose session is over.
 */
export function oidcAdapter(store: RecordStore, clock: Clock, link: RequestSessionLink): (model: string) => Adapter {
  const carried = new WeakMap<object, string>();
  const grantSessions = new WeakMap<object, Map<string, string | null>>();
  return (model) => new OidcRecords(store, clock, link, model, carried, grantSessions);
}

class OidcRecords implements Adapter {
  constructor(
    private readonly store: RecordStore,
    private readonly clock: Clock,
    private readonly link: RequestSessionLink,
    private readonly model: string,
    /**
     * The Gatehouse session of a browser session whose id the provider just changed (it removes the record under the
     * old id, then saves it under the new one, in one request): the new record keeps the binding.
     */
    private readonly carried: WeakMap<object, string>,
    /**
     * The Gatehouse session of each grant one request saved a token of: a code exchange saves an access token and a
     * refresh token of one grant, and the second save need not read the grant's binding again.
     */
    private readonly grantSessions: WeakMap<object, Map<string, string | null>>,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const expiresAt = expiresIn ? this.clock.now() + expiresIn * 1000 : null;
    // A record saved again keeps the session it was bound to unless this save names one (a new sign-in).
    const grantRequired = GRANT_BOUND.has(this.model) && Boolean(payload.grantId);
    await this.store.save(this.model, id, { payload, expiresAt, expiresIn, sessionId: await this.sessionOf(id, payload), grantRequired });
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return this.store.find(this.model, 'id', id);
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.store.find(this.model, 'uid', uid);
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.store.find(this.model, 'userCode', userCode);
  }

  /**
   * Marks a code or refresh token used, exactly once across the cluster: of two requests racing on two nodes one
   * wins; the other revokes the grant, as oidc-provider does for a code or refresh token presented twice in a row
   * (RFC 6749 §4.1.2, OAuth 2.0 Security BCP §4.14), and answers `invalid_grant`.
   */
  async consume(id: string): Promise<void> {
    if (await this.store.consume(this.model, id, Math.floor(this.clock.now() / 1000))) return;
    const grantId = (await this.store.find(this.model, 'id', id))?.grantId;
    if (grantId) {
      // The grant first: the winner's tokens, saved only while it exists, are then either refused or removed below.
      await this.store.remove('Grant', grantId);
      await this.store.removeGrant(grantId);
    }
    throw new AlreadyConsumedError(`${this.model} already consumed or gone`);
  }

  async destroy(id: string): Promise<void> {
    const sessionId = await this.store.remove(this.model, id);
    // The browser session goes at a confirmed RP-initiated logout: the Gatehouse session it stood for ends with it.
    if (this.model !== 'Session' || !sessionId) return;
    if (this.link.isLogout()) return this.link.endGatehouseSession(sessionId);
    const request = this.link.currentRequest();
    if (request) this.carried.set(request, sessionId);
  }

  revokeByGrantId(grantId: string): Promise<void> {
    return this.store.removeGrant(grantId);
  }

  /**
   * The Gatehouse session a record is bound to: a browser session and its grant take the one the resumed
   * interaction signed in with; a code or token takes its grant's.
   */
  private async sessionOf(id: string, payload: AdapterPayload): Promise<string | undefined> {
    if (this.model === 'Grant') {
      // Saved again, the grant may have a new binding: its tokens read it afresh.
      const request = this.link.currentRequest();
      if (request) this.grantSessions.get(request)?.delete(id);
      return this.link.signedInSessionId();
    }
    if (this.model === 'Session') {
      const request = this.link.currentRequest();
      return this.link.signedInSessionId() ?? (request && this.carried.get(request));
    }
    if (!GRANT_BOUND.has(this.model) || !payload.grantId) return undefined;
    return (await this.sessionOfGrant(payload.grantId)) ?? undefined;
  }

  /** The grant's session, read once per request (see `grantSessions`); outside a request, read every time. */
  private async sessionOfGrant(grantId: string): Promise<string | null> {
    const request = this.link.currentRequest();
    const known = request && this.grantSessions.get(request);
    if (known?.has(grantId)) return known.get(grantId)!;
    const sessionId = await this.store.sessionOfGrant(grantId);
    if (request) this.grantSessions.set(request, (known ?? new Map<string, string | null>()).set(grantId, sessionId));
    return sessionId;
  }
}
