import type { AppError } from '../http/errors.js';
import type { MessageKey } from './i18n.js';

/**
 * What a refused cookie sign-in tells the person, in the hosted pages' words: one table for every page that signs
 * people in with a form (the account page, the admin console), so they say the same thing for the same refusal.
 */
const refusalMessages: Partial<Record<AppError['code'], MessageKey>> = {
  'invalid-credentials': 'account.wrong',
  'account-not-confirmed': 'login.notConfirmed',
  'account-locked': 'login.locked',
  'rate-limited': 'login.locked',
  'login-method-disabled': 'login.methodDisabled',
};

/** The message for a refusal with this code, or `fallback` for a refusal the table does not name. */
export function signInRefusal(code: AppError['code'], fallback: MessageKey): MessageKey {
  return refusalMessages[code] ?? fallback;
}
