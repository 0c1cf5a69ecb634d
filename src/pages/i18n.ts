import { parseAcceptLanguage } from '../http/accept-language.js';
import { formatDurationText } from '../email/templates.js';
import { guidanceDe, guidanceEn } from './guidance-messages.js';
import { mfaDe, mfaEn } from './mfa-messages.js';
import { passkeyDe, passkeyEn } from './passkey-messages.js';
import { consentDe, consentEn } from './consent-messages.js';

/** Languages the hosted pages speak. */
export type Lang = 'en' | 'de';

/**
 * The page language from `Accept-Language`: the best-weighted of English and German, English by default.
 * `de-AT` counts as German; `*` as the default.
 */
export function pickLanguage(header: string | undefined): Lang {
  let best: { lang: Lang; q: number } = { lang: 'en', q: 0 };
  for (const [tag, q] of Object.entries(parseAcceptLanguage(header))) {
    const primary = tag.toLowerCase().split('-')[0];
    const lang = primary === 'de' ? 'de' : primary === 'en' ? 'en' : null;
    if (lang && q > best.q) best = { lang, q };
  }
  return best.lang;
}

/* Keys are grouped by the page that uses them; `form.*`, `field.*` and `password.*` are shared by every form. */
const en = {
  // Shared by every form
  'form.expired': 'This form expired. Please try again.',
  'form.notAllowed': '{field}: is not allowed.',
  'form.invalidField': 'The field {field} is not valid.',
  'form.failed': 'Something went wrong. Please try again.',
  'field.login.required': 'Enter your e-mail or user name.',
  'field.login.invalid': 'Enter a valid e-mail or user name.',
  'field.loginPassword.required': 'Enter your password.',
  'field.loginPassword.invalid': 'Enter your password.',
  'field.email.required': 'Enter your e-mail address.',
  'field.email.invalid': 'The e-mail address is not valid.',
  'field.email.taken': 'The e-mail address is already registered.',
  'field.password.required': 'Enter a password.',
  'field.password.invalid': 'The password is not valid.',
  'field.passwordRepeat.differs': 'The two passwords differ.',
  'field.invite.required': 'The invitation code is required.',
  'field.invite.invalid': 'The invitation code is invalid or already used.',

  // Password policy (src/passwords/policy.ts rules)
  'password.hint': 'Your password needs:',
  'password.hint.length': '{min} to {max} characters',
  'password.hint.lowercase': 'a lowercase letter',
  'password.hint.uppercase': 'an uppercase letter',
  'password.hint.number': 'a digit',
  'password.hint.symbol': 'a symbol (a character that is not a letter or digit)',
  'password.hint.custom': 'a match for the pattern {pattern}',
  'password.rule': 'The password {message}.',
  'password.rule.minLength': 'The password must be at least {min} characters.',
  'password.rule.maxLength': 'The password must be at most {max} characters.',
  'password.rule.lowercase': 'The password must contain a lowercase letter.',
  'password.rule.uppercase': 'The password must contain an uppercase letter.',
  'password.rule.number': 'The password must contain a digit.',
  'password.rule.symbol': 'The password must contain a symbol (a character that is not a letter or digit).',
  'password.rule.custom': 'The password must match the pattern {pattern}.',

  // /auth/login
  'login.title': 'Sign in',
  'login.titleFor': 'Sign in to {client}',
  'login.email': 'E-mail or user name',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.wrong': 'Wrong e-mail or password.',
  'login.notConfirmed': 'Please confirm your e-mail address first: follow the link in the e-mail we sent you.',
  'login.locked': 'Too many failed attempts. Please try again later.',
  'login.methodDisabled': 'Signing in with a password is not available for this account.',
  'login.passwordUnavailable': 'Signing in with a password is not available for this application.',
  'login.otherWays': 'Other ways to sign in',
  'login.with': 'Continue with {provider}',
  'login.providerFailed': 'Signing in with that provider did not work. Please try again, or choose another way.',
  'login.forgot': 'Forgot your password?',
  'login.forgotEmail': 'Your e-mail address',
  'login.forgotSubmit': 'Send me a reset link',
  'login.noAccount': 'No account yet?',
  'login.register': 'Create one',

  // /auth/register
  'register.title': 'Create an account',
  'register.titleFor': 'Create an account for {client}',
  'register.email': 'E-mail',
  'register.password': 'Password',
  'register.invite': 'Invitation code',
  'register.submit': 'Create account',
  'register.already': 'Already registered?',
  'register.login': 'Sign in',
  'register.closed': 'Registration is closed.',
  'register.passwordUnavailable': 'Registration with a password is not available for this application.',

  // /auth/password-reset?clientID=&email= ("check your e-mail")
  'checkEmail.title': 'Check your e-mail',
  'checkEmail.sent': 'If an account uses {email}, we have sent it a link to choose a new password.',
  'checkEmail.expires': 'Check your e-mail. The link works once and expires in {ttl}.',
  'checkEmail.back': 'Back to sign in',

  // /auth/password-reset/{token}
  'reset.title': 'Choose a new password',
  'reset.password': 'New password',
  'reset.repeat': 'Repeat the new password',
  'reset.submit': 'Set password',
  'reset.doneTitle': 'Password changed',
  'reset.done': 'Your password was changed and every session was signed out. You can sign in with the new password.',
  'reset.failedTitle': 'Password reset failed',
  'reset.invalid': 'This reset link is invalid, expired or was already used.',

  // /auth/confirm/{token}
  'confirm.title': 'E-mail confirmed',
  'confirm.done': 'Thank you, {username}. Your e-mail address is confirmed; you can sign in now.',
  'confirm.failedTitle': 'Confirmation failed',
  'confirm.invalid': 'This confirmation link is invalid, expired or was already used.',

  // The landing hop after a provider login (src/providers/landing-page.ts)
  'landing.title': 'Signed in',
  'landing.continue': 'Continue',
  'landing.note': 'You are signed in. If this page does not continue by itself, follow the link.',

  // /auth/change-email/{token}
  'changeEmail.title': 'E-mail address changed',
  'changeEmail.done': 'Your e-mail address is now {email}.',
  'changeEmail.revertedTitle': 'E-mail change undone',
  'changeEmail.restored': 'The change was undone: your e-mail address is {email} again.',
  'changeEmail.notRestored': 'The old address is now used by another account, so it could not be restored.',
  'changeEmail.signedOut': 'Every session of your account was signed out. If you did not ask for the change, choose a new password too.',
  'changeEmail.failedTitle': 'E-mail change failed',
  'changeEmail.conflict': 'This address is used by another account by now, so your e-mail address was not changed.',
  'changeEmail.invalid': 'This link is invalid, expired or was already used.',

  // /account
  'account.title': 'Your account',
  'account.signin': 'Sign in',
  'account.login': 'E-mail or user name',
  'account.password': 'Password',
  'account.submit': 'Sign in',
  'account.wrong': 'Wrong e-mail or password.',
  'account.profile': 'Profile',
  'account.username': 'User name',
  'account.email': 'E-mail',
  'account.roles': 'Roles',
  'account.confirmed': 'Confirmed',
  'account.yes': 'yes',
  'account.no': 'no',
  'account.sessions': 'Where you are signed in',
  'account.session.current': 'this browser',
  'account.session.since': 'since',
  'account.session.on': 'on',
  'account.session.unknownDevice': 'Unknown device',
  'account.session.end': 'Sign out this session',
  'account.session.ended': 'The session was ended.',
  'account.changePassword': 'Change your password',
  'account.currentPassword': 'Current password',
  'account.newPassword': 'New password',
  'account.repeatPassword': 'Repeat the new password',
  'account.passwordChanged': 'Your password was changed. Your other sessions were signed out.',
  'account.currentWrong': 'The current password is wrong.',
  'account.currentMissing': 'Enter your current password.',
  'account.save': 'Change password',
  'account.logout': 'Sign out',
  ...guidanceEn,
  ...mfaEn,
  ...passkeyEn,
  ...consentEn,
} as const;

export type MessageKey = keyof typeof en;

/** German has every English key: a missing translation fails the type check. */
const de: Record<MessageKey, string> = {
  'form.expired': 'Dieses Formular ist abgelaufen. Bitte versuchen Sie es erneut.',
  'form.notAllowed': 'Das Feld {field} ist nicht erlaubt.',
  'form.invalidField': 'Das Feld {field} ist ungültig.',
  'form.failed': 'Etwas ist schiefgegangen. Bitte versuchen Sie es erneut.',
  'field.login.required': 'Geben Sie Ihre E-Mail-Adresse oder Ihren Benutzernamen ein.',
  'field.login.invalid': 'Geben Sie eine gültige E-Mail-Adresse oder einen gültigen Benutzernamen ein.',
  'field.loginPassword.required': 'Geben Sie Ihr Passwort ein.',
  'field.loginPassword.invalid': 'Geben Sie Ihr Passwort ein.',
  'field.email.required': 'Geben Sie Ihre E-Mail-Adresse ein.',
  'field.email.invalid': 'Die E-Mail-Adresse ist ungültig.',
  'field.email.taken': 'Diese E-Mail-Adresse ist bereits registriert.',
  'field.password.required': 'Geben Sie ein Passwort ein.',
  'field.password.invalid': 'Das Passwort ist ungültig.',
  'field.passwordRepeat.differs': 'Die beiden Passwörter stimmen nicht überein.',
  'field.invite.required': 'Geben Sie Ihren Einladungscode ein.',
  'field.invite.invalid': 'Der Einladungscode ist ungültig oder wurde schon verwendet.',

  'password.hint': 'Ihr Passwort braucht:',
  'password.hint.length': '{min} bis {max} Zeichen',
  'password.hint.lowercase': 'einen Kleinbuchstaben',
  'password.hint.uppercase': 'einen Großbuchstaben',
  'password.hint.number': 'eine Ziffer',
  'password.hint.symbol': 'ein Sonderzeichen (ein Zeichen, das weder Buchstabe noch Ziffer ist)',
  'password.hint.custom': 'eine Übereinstimmung mit dem Muster {pattern}',
  'password.rule': 'Das Passwort erfüllt eine Regel nicht: {message}.',
  'password.rule.minLength': 'Das Passwort muss mindestens {min} Zeichen lang sein.',
  'password.rule.maxLength': 'Das Passwort darf höchstens {max} Zeichen lang sein.',
  'password.rule.lowercase': 'Das Passwort muss einen Kleinbuchstaben enthalten.',
  'password.rule.uppercase': 'Das Passwort muss einen Großbuchstaben enthalten.',
  'password.rule.number': 'Das Passwort muss eine Ziffer enthalten.',
  'password.rule.symbol': 'Das Passwort muss ein Sonderzeichen enthalten (ein Zeichen, das weder Buchstabe noch Ziffer ist).',
  'password.rule.custom': 'Das Passwort muss dem Muster {pattern} entsprechen.',

  'login.title': 'Anmelden',
  'login.titleFor': 'Bei {client} anmelden',
  'login.email': 'E-Mail oder Benutzername',
  'login.password': 'Passwort',
  'login.submit': 'Anmelden',
  'login.wrong': 'E-Mail oder Passwort ist falsch.',
  'login.notConfirmed': 'Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse: Folgen Sie dem Link in der E-Mail, die wir Ihnen geschickt haben.',
  'login.locked': 'Zu viele Fehlversuche. Bitte versuchen Sie es später erneut.',
  'login.methodDisabled': 'Die Anmeldung mit Passwort ist für dieses Konto nicht möglich.',
  'login.passwordUnavailable': 'Die Anmeldung mit Passwort ist für diese Anwendung nicht möglich.',
  'login.otherWays': 'Andere Anmeldemöglichkeiten',
  'login.with': 'Weiter mit {provider}',
  'login.providerFailed': 'Die Anmeldung über diesen Anbieter hat nicht geklappt. Bitte versuchen Sie es erneut oder wählen Sie einen anderen Weg.',
  'login.forgot': 'Passwort vergessen?',
  'login.forgotEmail': 'Ihre E-Mail-Adresse',
  'login.forgotSubmit': 'Link zum Zurücksetzen senden',
  'login.noAccount': 'Noch kein Konto?',
  'login.register': 'Jetzt registrieren',

  'register.title': 'Konto erstellen',
  'register.titleFor': 'Konto für {client} erstellen',
  'register.email': 'E-Mail',
  'register.password': 'Passwort',
  'register.invite': 'Einladungscode',
  'register.submit': 'Konto erstellen',
  'register.already': 'Schon registriert?',
  'register.login': 'Anmelden',
  'register.closed': 'Die Registrierung ist geschlossen.',
  'register.passwordUnavailable': 'Die Registrierung mit Passwort ist für diese Anwendung nicht möglich.',

  'checkEmail.title': 'Prüfen Sie Ihre E-Mails',
  'checkEmail.sent': 'Falls ein Konto die Adresse {email} verwendet, haben wir ihm einen Link geschickt, mit dem Sie ein neues Passwort wählen können.',
  'checkEmail.expires': 'Prüfen Sie Ihre E-Mails. Der Link funktioniert einmal und ist {ttl} lang gültig.',
  'checkEmail.back': 'Zurück zur Anmeldung',

  'reset.title': 'Neues Passwort wählen',
  'reset.password': 'Neues Passwort',
  'reset.repeat': 'Neues Passwort wiederholen',
  'reset.submit': 'Passwort setzen',
  'reset.doneTitle': 'Passwort geändert',
  'reset.done': 'Ihr Passwort wurde geändert und alle Sitzungen wurden abgemeldet. Sie können sich jetzt mit dem neuen Passwort anmelden.',
  'reset.failedTitle': 'Zurücksetzen fehlgeschlagen',
  'reset.invalid': 'Dieser Link ist ungültig, abgelaufen oder wurde schon verwendet.',

  'confirm.title': 'E-Mail-Adresse bestätigt',
  'confirm.done': 'Danke, {username}. Ihre E-Mail-Adresse ist bestätigt; Sie können sich jetzt anmelden.',
  'confirm.failedTitle': 'Bestätigung fehlgeschlagen',
  'confirm.invalid': 'Dieser Bestätigungslink ist ungültig, abgelaufen oder wurde schon verwendet.',

  'landing.title': 'Angemeldet',
  'landing.continue': 'Weiter',
  'landing.note': 'Sie sind angemeldet. Falls diese Seite nicht von selbst weitergeht, folgen Sie dem Link.',

  'changeEmail.title': 'E-Mail-Adresse geändert',
  'changeEmail.done': 'Ihre E-Mail-Adresse lautet jetzt {email}.',
  'changeEmail.revertedTitle': 'E-Mail-Änderung rückgängig gemacht',
  'changeEmail.restored': 'Die Änderung wurde rückgängig gemacht: Ihre E-Mail-Adresse lautet wieder {email}.',
  'changeEmail.notRestored': 'Die alte Adresse wird inzwischen von einem anderen Konto verwendet und konnte daher nicht wiederhergestellt werden.',
  'changeEmail.signedOut': 'Alle Sitzungen Ihres Kontos wurden abgemeldet. Falls Sie die Änderung nicht veranlasst haben, wählen Sie bitte auch ein neues Passwort.',
  'changeEmail.failedTitle': 'E-Mail-Änderung fehlgeschlagen',
  'changeEmail.conflict': 'Diese Adresse wird inzwischen von einem anderen Konto verwendet, daher wurde Ihre E-Mail-Adresse nicht geändert.',
  'changeEmail.invalid': 'Dieser Link ist ungültig, abgelaufen oder wurde schon verwendet.',

  'account.title': 'Ihr Konto',
  'account.signin': 'Anmelden',
  'account.login': 'E-Mail oder Benutzername',
  'account.password': 'Passwort',
  'account.submit': 'Anmelden',
  'account.wrong': 'E-Mail oder Passwort ist falsch.',
  'account.profile': 'Profil',
  'account.username': 'Benutzername',
  'account.email': 'E-Mail',
  'account.roles': 'Rollen',
  'account.confirmed': 'Bestätigt',
  'account.yes': 'ja',
  'account.no': 'nein',
  'account.sessions': 'Wo Sie angemeldet sind',
  'account.session.current': 'dieser Browser',
  'account.session.since': 'seit',
  'account.session.on': 'unter',
  'account.session.unknownDevice': 'Unbekanntes Gerät',
  'account.session.end': 'Diese Sitzung abmelden',
  'account.session.ended': 'Die Sitzung wurde beendet.',
  'account.changePassword': 'Passwort ändern',
  'account.currentPassword': 'Aktuelles Passwort',
  'account.newPassword': 'Neues Passwort',
  'account.repeatPassword': 'Neues Passwort wiederholen',
  'account.passwordChanged': 'Ihr Passwort wurde geändert. Ihre anderen Sitzungen wurden abgemeldet.',
  'account.currentWrong': 'Das aktuelle Passwort ist falsch.',
  'account.currentMissing': 'Geben Sie Ihr aktuelles Passwort ein.',
  'account.save': 'Passwort ändern',
  'account.logout': 'Abmelden',
  ...guidanceDe,
  ...mfaDe,
  ...passkeyDe,
  ...consentDe,
};

const messages: Record<Lang, Record<MessageKey, string>> = { en, de };

/** A translated message with `{name}` placeholders filled in (the values are escaped later by the `html` tag). */
export function t(lang: Lang, key: MessageKey, params: Record<string, string | number> = {}): string {
  return messages[lang][key].replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? ''));
}

/** Whether `key` is a message, for keys built at run time (`field.<name>.required`). */
export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(en, key);
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * A lifetime for people ("30 minutes", "24 Stunden"), the same rounding as the e-mails' English text: whole days from
 * two days up, else whole hours, else minutes. German reads in the accusative of duration ("3 Tage lang").
 */
export function formatDuration(lang: Lang, ms: number): string {
  if (lang === 'en') return formatDurationText(ms);
  const unit = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  if (!Number.isFinite(ms) || ms <= 0) return '0 Minuten';
  if (ms % DAY === 0 && ms >= 2 * DAY) return unit(ms / DAY, 'Tag', 'Tage');
  if (ms % HOUR === 0) return unit(ms / HOUR, 'Stunde', 'Stunden');
  if (ms >= MINUTE) return unit(Math.round(ms / MINUTE), 'Minute', 'Minuten');
  return unit(Math.max(1, Math.round(ms / SECOND)), 'Sekunde', 'Sekunden');
}
