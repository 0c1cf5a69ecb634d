/** Where a sign-in for one of the OpenID provider's interactions goes back to (oidc-provider/interaction.routes.ts). */
export const INTERACTION_PATH = '/oidc/interaction';

/** An interaction's uid as node-oidc-provider makes them (nanoid); anything else never reaches a Location header. */
export const INTERACTION_UID_PATTERN = '^[A-Za-z0-9_-]{10,64}$';

/** The page of the interaction `uid`, absolute (a provider login's landing page follows only absolute URLs). */
export function interactionUrl(baseUrl: string, uid: string): string {
  return `${baseUrl}${INTERACTION_PATH}/${encodeURIComponent(uid)}`;
}
