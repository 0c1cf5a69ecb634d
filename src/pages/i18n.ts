import { parseAcceptLanguage } from '../http/accept-language.js';

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

const messages = {
  en: {
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
    'account.session.end': 'Sign out this session',
    'account.session.ended': 'The session was ended.',
    'account.changePassword': 'Change your password',
    'account.currentPassword': 'Current password',
    'account.newPassword': 'New password',
    'account.repeatPassword': 'Repeat the new password',
    'account.passwordChanged': 'Your password was changed. Your other sessions were signed out.',
    'account.passwordsDiffer': 'The two passwords differ.',
    'account.currentWrong': 'The current password is wrong.',
    'account.currentMissing': 'Enter your current password.',
    'account.save': 'Change password',
    'account.logout': 'Sign out',
    'account.expired': 'This form expired. Please try again.',
    'password.rule': 'The password {message}.',
  },
  de: {
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
    'account.session.end': 'Diese Sitzung abmelden',
    'account.session.ended': 'Die Sitzung wurde beendet.',
    'account.changePassword': 'Passwort ändern',
    'account.currentPassword': 'Aktuelles Passwort',
    'account.newPassword': 'Neues Passwort',
    'account.repeatPassword': 'Neues Passwort wiederholen',
    'account.passwordChanged': 'Ihr Passwort wurde geändert. Ihre anderen Sitzungen wurden abgemeldet.',
    'account.passwordsDiffer': 'Die beiden Passwörter stimmen nicht überein.',
    'account.currentWrong': 'Das aktuelle Passwort ist falsch.',
    'account.currentMissing': 'Geben Sie Ihr aktuelles Passwort ein.',
    'account.save': 'Passwort ändern',
    'account.logout': 'Abmelden',
    'account.expired': 'Dieses Formular ist abgelaufen. Bitte versuchen Sie es erneut.',
    'password.rule': 'Das Passwort: {message}.',
  },
} as const satisfies Record<Lang, Record<string, string>>;

export type MessageKey = keyof (typeof messages)['en'];

/** A translated message with `{name}` placeholders filled in (the values are escaped later by the `html` tag). */
export function t(lang: Lang, key: MessageKey, params: Record<string, string> = {}): string {
  return messages[lang][key].replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? '');
}
