/**
 * Messages of the OpenID provider's consent page (oidc-provider/consent-page.ts). Why a file of their own: i18n.ts
 * spreads them into its tables, so they share the key type (a missing German one fails the type check).
 */
export const consentEn = {
  'consent.title': 'Allow {client}?',
  'consent.intro': '{client} asks to sign you in and to see:',
  'consent.as': 'You are signed in as {user}.',
  'consent.allow': 'Allow',
  'consent.deny': 'Deny',
  'consent.scope.openid': 'that it is you (your account id)',
  'consent.scope.profile': 'your user name and language',
  'consent.scope.email': 'your e-mail address, and whether it is confirmed',
  'consent.scope.offline_access': 'access while you are away (it stays signed in)',
  'consent.scope.roles': 'your roles',
  'consent.scope.groups': 'your groups',
  'consent.scope.other': 'the permission “{scope}”',
} as const;

export const consentDe: Record<keyof typeof consentEn, string> = {
  'consent.title': '{client} erlauben?',
  'consent.intro': '{client} möchte Sie anmelden und Folgendes sehen:',
  'consent.as': 'Sie sind angemeldet als {user}.',
  'consent.allow': 'Erlauben',
  'consent.deny': 'Ablehnen',
  'consent.scope.openid': 'dass Sie es sind (Ihre Konto-ID)',
  'consent.scope.profile': 'Ihren Benutzernamen und Ihre Sprache',
  'consent.scope.email': 'Ihre E-Mail-Adresse und ob sie bestätigt ist',
  'consent.scope.offline_access': 'Zugriff, während Sie nicht da sind (die Anmeldung bleibt bestehen)',
  'consent.scope.roles': 'Ihre Rollen',
  'consent.scope.groups': 'Ihre Gruppen',
  'consent.scope.other': 'die Berechtigung „{scope}“',
};
