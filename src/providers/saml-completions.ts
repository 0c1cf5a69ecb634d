import type { Kysely } from 'kysely';
import type { Clock, RandomSource } from '../clock.js';
import type { DB } from '../db/types.js';
import { sha256 } from '../util/hashing.js';
import type { FlowOrigin } from './flow-origin.js';
import type { VerifiedIdentity } from './provider.js';

/** How long the browser has to follow our page from the ACS to the finish route: one automatic hop. */
export const SAML_COMPLETION_TTL_MS = 2 * 60_000;

/** A validated Response, parked until the browser that started the login comes to redeem it. */
export interface SamlCompletion {
  identity: VerifiedIdentity;
  /** The registered client that started the flow, if any, and its OpenID interaction. */
  origin: FlowOrigin;
  /** Where the browser lands when no client started the flow; null: the configured `redirectSuccessUrl`. */
  target: string | null;
  /** SHA-256 of the browser-binding nonce of the browser that started the login. */
  bindingHash: string;
}

/**
 * Validated SAML Responses waiting to be redeemed at `GET /auth/saml/finish?code=` (login CSRF): the ACS is reached
 * by a cross-site POST that carries no cookie, so it cannot tell whose browser posted; the finish route is reached
 * from our own page, so the browser-binding cookie rides along. Kept in the shared database, keyed by the SHA-256
 * of a random code, taken once on whichever node.
 */
export class SamlCompletions {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: Clock,
    private readonly random: RandomSource,
  ) {}

  /** Parks `completion` for {@link SAML_COMPLETION_TTL_MS}; answers the code that redeems it. */
  async park(completion: SamlCompletion): Promise<string> {
    const code = this.random.bytes(32).toString('base64url');
    await this.db
      .insertInto('saml_completions')
      .values({
        code_hash: sha256(code), binding_hash: completion.bindingHash, identity: JSON.stringify(completion.identity),
        client_id: completion.origin.clientId, interaction: completion.origin.interaction, target: completion.target, expires_at: this.clock.now() + SAML_COMPLETION_TTL_MS,
      })
      .execute();
    return code;
  }

  /**
   * Takes the completion of `code` out of the database in one statement (DELETE … RETURNING): of two redeemers
   * exactly one gets it. Null when unknown, already taken or expired (an expired one is removed too).
   */
  async take(code: string): Promise<SamlCompletion | null> {
    const row = await this.db
      .deleteFrom('saml_completions')
      .where('code_hash', '=', sha256(code))
      .returning(['binding_hash', 'identity', 'client_id', 'interaction', 'target', 'expires_at'])
      .executeTakeFirst();
    if (!row || row.expires_at <= this.clock.now()) return null;
    const origin = { clientId: row.client_id, interaction: row.interaction };
    return { identity: JSON.parse(row.identity) as VerifiedIdentity, origin, target: row.target, bindingHash: row.binding_hash };
  }
}
