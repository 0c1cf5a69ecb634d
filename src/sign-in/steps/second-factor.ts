import type { Step } from '../attempt.js';

/**
 * Step 4: the second factor. A no-op today: issue 17 (multi-factor login) fills it in. Why it exists already: it is
 * the one place every way in passes after the proof and before any session exists, so an "mfa-required" answer
 * produced here holds for API login, cookie, HTTP Basic, hosted pages, the account page and every provider alike.
 */
export const requireSecondFactor: Step = () => {
  // Issue 17: when the proven account has a second factor due, stop here with `mfa-required` (and no session).
};
