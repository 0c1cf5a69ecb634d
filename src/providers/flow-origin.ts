import type { FastifyRequest } from 'fastify';
import { assertClientAccepts } from '../clients/client-rules.js';
import { invalidField } from '../http/errors.js';
import { interactionOf } from '../sign-in/hosted-client.js';
import type { ClientDirectory } from '../clients/client-directory.js';

/**
 * Whom a provider login signs in for, kept from its start to its completion (flow cookie, or SAML's stored request):
 * the registered client that started it (its token is delivered to it), and — when that client's hosted login runs
 * for one of the OpenID provider's interactions — the interaction's uid, to which the completed login goes back.
 */
export interface FlowOrigin {
  clientId: string | null;
  interaction: string | null;
}

/** A flow nobody but the person started: it ends in the auth cookie and the provider's landing page. */
export const NO_CLIENT: Readonly<FlowOrigin> = Object.freeze({ clientId: null, interaction: null });

/**
 * The client and interaction of a flow's start (`?clientID=&interaction=`, as the hosted login's links carry them),
 * checked before anything leaves for the provider: an unknown client, one that disabled any of `strategies` (the
 * provider's, and `oidc:<id>`), an interaction that is no interaction id, or an interaction without the client it
 * signs in for are refused (`400` naming the field, `403 login-method-disabled`).
 */
export async function flowOriginOf(clients: Pick<ClientDirectory, 'find'>, request: FastifyRequest, strategies: string[]): Promise<FlowOrigin> {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const interaction = interactionOf(request) ?? null;
  if (query.clientID === undefined) {
    if (interaction !== null) throw invalidField('interaction', 'needs the clientID of the app it signs in for');
    return NO_CLIENT;
  }
  if (typeof query.clientID !== 'string' || query.clientID === '' || query.clientID.length > 128) throw invalidField('clientID', 'must be one client id');
  const client = await clients.find(query.clientID);
  if (!client) throw invalidField('clientID', 'is not a registered client');
  for (const strategy of strategies) assertClientAccepts(client, strategy);
  return { clientId: client.clientID, interaction };
}
