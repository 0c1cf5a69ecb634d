/**
 * Messages of the pages that tell a person what went wrong and where to go next (issue 16): error pages of hosted
 * routes, the password-reset and confirmation-link forms, the onward links of success pages. Why a file of their own:
 * i18n.ts spreads them into its tables, so they share the key type (a missing German one fails the type check)
 * while that file stays short.
 */
export const guidanceEn = {
  // Error pages of hosted routes (pages/error-page.ts)
  'problem.clientMissing.title': 'This link is incomplete',
  'problem.clientMissing': 'This page needs to know which application you want to use, and the link you followed does not say.',
  'problem.clientMissing.next': 'Go back to the application and use its own sign-in link or button.',
  'problem.clientUnknown.title': 'Unknown application',
  'problem.clientUnknown': 'The application “{clientID}” is not registered on this server.',
  'problem.clientUnknown.next': 'Go back to the application and try again. If this keeps happening, tell the people who run it.',
  'problem.methodDisabled.title': 'Not available for this application',
  'problem.methodDisabled': 'This application does not accept passwords, so a password can neither be used nor reset here.',
  'problem.methodDisabled.next': 'Go back to the application and sign in another way.',
  'problem.rateLimited.title': 'Too many attempts',
  'problem.rateLimited': 'Too many requests came from your network in a short time.',
  'problem.rateLimited.next': 'Wait a minute, then try again.',
  'problem.invalid.title': 'This request is not valid',
  'problem.invalid': 'The link or form you used is not valid ({fields}).',
  'problem.invalid.next': 'Go back and try again, or start again from the application.',
  'problem.other.title': 'Something went wrong',
  'problem.other': 'The request could not be completed ({title}).',
  'problem.other.next': 'Go back and try again, or start again from the application.',
  'problem.signInOver.title': 'This sign-in is over',
  'problem.signInOver': 'This sign-in expired, was already finished, or was begun in another browser.',
  'problem.signInOver.next': 'Go back to the application and sign in again.',

  // GET /auth/password-reset?clientID= without an e-mail: the reset form of its own
  'forgot.title': 'Reset your password',
  'forgot.intro': 'Enter the e-mail address of your account. We will send you a link to choose a new password.',

  // GET|POST /auth/confirmation: a new confirmation link
  'resend.offer': 'No e-mail, or did the link expire?',
  'resend.title': 'Send a new confirmation link',
  'resend.intro': 'Enter the e-mail address you registered with.',
  'resend.email': 'Your e-mail address',
  'resend.submit': 'Send a new confirmation link',
  'resend.sentTitle': 'Check your e-mail',
  'resend.sent': 'If an account with the address {email} exists and is not confirmed yet, we sent it a new confirmation link.',

  // POST /auth/register with signup.tokenBeforeConfirmation: false
  'registered.title': 'Check your e-mail',
  'registered.sent': 'We sent a confirmation link to {email}. Follow it to finish creating your account; it then signs you in to the application.',
  'link.expires': 'The link works once and for {ttl}.',

  // Onward links of success pages (pages/onward.ts)
  'onward.client': 'Continue to the application',
  'onward.account': 'Go to your account',
} as const;

export type GuidanceKey = keyof typeof guidanceEn;

export const guidanceDe: Record<GuidanceKey, string> = {
  'problem.clientMissing.title': 'Dieser Link ist unvollständig',
  'problem.clientMissing': 'Diese Seite muss wissen, welche Anwendung Sie verwenden möchten, und der Link, dem Sie gefolgt sind, sagt es nicht.',
  'problem.clientMissing.next': 'Gehen Sie zurück zur Anwendung und verwenden Sie deren eigenen Anmeldelink oder -knopf.',
  'problem.clientUnknown.title': 'Unbekannte Anwendung',
  'problem.clientUnknown': 'Die Anwendung „{clientID}“ ist auf diesem Server nicht registriert.',
  'problem.clientUnknown.next': 'Gehen Sie zurück zur Anwendung und versuchen Sie es erneut. Wenn das wieder passiert, informieren Sie deren Betreiber.',
  'problem.methodDisabled.title': 'Für diese Anwendung nicht verfügbar',
  'problem.methodDisabled': 'Diese Anwendung akzeptiert keine Passwörter, daher kann hier kein Passwort verwendet oder zurückgesetzt werden.',
  'problem.methodDisabled.next': 'Gehen Sie zurück zur Anwendung und melden Sie sich auf andere Weise an.',
  'problem.rateLimited.title': 'Zu viele Versuche',
  'problem.rateLimited': 'Aus Ihrem Netz kamen in kurzer Zeit zu viele Anfragen.',
  'problem.rateLimited.next': 'Warten Sie eine Minute und versuchen Sie es dann erneut.',
  'problem.invalid.title': 'Diese Anfrage ist ungültig',
  'problem.invalid': 'Der Link oder das Formular, das Sie verwendet haben, ist ungültig ({fields}).',
  'problem.invalid.next': 'Gehen Sie zurück und versuchen Sie es erneut, oder beginnen Sie noch einmal in der Anwendung.',
  'problem.other.title': 'Etwas ist schiefgegangen',
  'problem.other': 'Die Anfrage konnte nicht ausgeführt werden ({title}).',
  'problem.other.next': 'Gehen Sie zurück und versuchen Sie es erneut, oder beginnen Sie noch einmal in der Anwendung.',
  'problem.signInOver.title': 'Diese Anmeldung ist vorbei',
  'problem.signInOver': 'Diese Anmeldung ist abgelaufen, wurde schon abgeschlossen oder in einem anderen Browser begonnen.',
  'problem.signInOver.next': 'Gehen Sie zurück zur Anwendung und melden Sie sich erneut an.',

  'forgot.title': 'Passwort zurücksetzen',
  'forgot.intro': 'Geben Sie die E-Mail-Adresse Ihres Kontos ein. Wir schicken Ihnen einen Link, mit dem Sie ein neues Passwort wählen können.',

  'resend.offer': 'Keine E-Mail erhalten, oder ist der Link abgelaufen?',
  'resend.title': 'Neuen Bestätigungslink senden',
  'resend.intro': 'Geben Sie die E-Mail-Adresse ein, mit der Sie sich registriert haben.',
  'resend.email': 'Ihre E-Mail-Adresse',
  'resend.submit': 'Neuen Bestätigungslink senden',
  'resend.sentTitle': 'Prüfen Sie Ihre E-Mails',
  'resend.sent': 'Falls ein Konto mit der Adresse {email} existiert und noch nicht bestätigt ist, haben wir ihm einen neuen Bestätigungslink geschickt.',

  'registered.title': 'Prüfen Sie Ihre E-Mails',
  'registered.sent': 'Wir haben einen Bestätigungslink an {email} geschickt. Folgen Sie ihm, um Ihr Konto fertig anzulegen; danach sind Sie bei der Anwendung angemeldet.',
  'link.expires': 'Der Link funktioniert einmal und ist {ttl} lang gültig.',

  'onward.client': 'Weiter zur Anwendung',
  'onward.account': 'Zu Ihrem Konto',
};
