import type { Principal } from './principal.js';
import { AppError } from '../http/errors.js';
import { isPermitted } from './wildcard.js';

/**
 * No escalation: a permission may be handed out or taken away — directly, or through a group — only by someone who
 * holds it. Throws `forbidden` naming every permission the actor does not hold itself.
 */
export function assertHolds(actor: Principal, permissions: readonly string[], doing: string): void {
  const missing = permissions.filter((permission) => !isPermitted(actor.permissions, permission));
  if (missing.length) throw new AppError('forbidden', `${doing} ${missing.join(', ')} requires holding it`);
}
