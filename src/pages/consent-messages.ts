/**
 * Messages of the OpenID provider's pages: consent (oidc-provider/consent-page.ts), logout and errors (provider-pages.ts). Why a file of their own: i18n.ts
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
  'consent.scope.api': 'the permission “{scope}” at {api}',
  // The provider's own pages (oidc-provider/provider-pages.ts)
  'logout.title': 'Sign out?',
  'logout.intro': 'Do you want to sign out of {product}?',
  'logout.yes': 'Yes, sign me out',
  'logout.no': 'No, stay signed in',
  'logout.done': 'Signed out',
  'logout.doneIntro': 'You are signed out. You can close this page.',
  'providerError.title': 'Sign-in could not continue',
  'providerError.intro': 'The app asked for something this server cannot do. Go back to the app and try again.',
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
  'consent.scope.api': 'die Berechtigung „{scope}“ bei {api}',
  'logout.title': 'Abmelden?',
  'logout.intro': 'Möchten Sie sich von {product} abmelden?',
  'logout.yes': 'Ja, abmelden',
  'logout.no': 'Nein, angemeldet bleiben',
  'logout.done': 'Abgemeldet',
  'logout.doneIntro': 'Sie sind abgemeldet. Sie können diese Seite schließen.',
  'providerError.title': 'Die Anmeldung kann nicht fortgesetzt werden',
  'providerError.intro': 'Die App hat etwas verlangt, das dieser Server nicht kann. Gehen Sie zurück zur App und versuchen Sie es erneut.',
};
