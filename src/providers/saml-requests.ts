import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { DB } from '../db/types.js';
import { sha256 } from '../util/hashing.js';
import type { FlowOrigin } from './flow-origin.js';

/** How long a person may take at the IdP before the pending AuthnRequest is void (CONTRACT §5: 10 minutes). */
export const SAML_REQUEST_TTL_MS = 10 * 60_000;

/** What an AuthnRequest leaves behind until its Response comes back. */
export interface PendingSamlRequest {
  /** The AuthnRequest's ID: the Response's `InResponseTo` must equal it. */
  requestId: string;
  /** The registered client that started the flow, if any (its token goes to its callbackURL), and its OpenID interaction. */
  origin: FlowOrigin;
  /** Where the browser lands when no client started the flow; null: the configured `redirectSuccessUrl`. */
  target: string | null;
  /** SHA-256 of the browser-binding nonce of the browser that started the login (saml-binding.ts). */
  bindingHash: string;
}

/**
 * Pending SAML AuthnRequests, kept in the shared database because the Response returns by a cross-site POST that
 * carries no Lax or Strict cookie (CONTRACT §5). Keyed by the SHA-256 of the RelayState (an unguessable value that
 * travels through the IdP), so the table alone cannot be replayed; each is consumed once, on whichever node.
 */
export class SamlRequests {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: Clock,
  ) {}

  /** Remembers `request` under `relayState` for {@link SAML_REQUEST_TTL_MS} by the injected clock. */
  async remember(relayState: string, request: PendingSamlRequest): Promise<void> {
    await this.db
      .insertInto('saml_requests')
      .values({
        relay_hash: sha256(relayState), request_id: request.requestId, client_id: request.origin.clientId, interaction: request.origin.interaction,
        target: request.target, binding_hash: request.bindingHash, expires_at: this.clock.now() + SAML_REQUEST_TTL_MS,
      })
      .execute();
  }

  /**
   * Takes the request remembered under `relayState` out of the database in one statement (DELETE … RETURNING), so
   * of two nodes racing with the same Response exactly one gets it. An expired request is removed and yields null.
   */
  async consume(relayState: string): Promise<PendingSamlRequest | null> {
    const row = await this.db
      .deleteFrom('saml_requests')
      .where('relay_hash', '=', sha256(relayState))
      .returning(['request_id', 'client_id', 'interaction', 'target', 'binding_hash', 'expires_at'])
      .executeTakeFirst();
    if (!row || row.expires_at <= this.clock.now()) return null;
    return { requestId: row.request_id, origin: { clientId: row.client_id, interaction: row.interaction }, target: row.target, bindingHash: row.binding_hash };
  }
}
