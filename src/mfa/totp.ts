import { Secret, TOTP } from 'otpauth';
import type { RandomSource } from '../clock.js';

/** RFC 6238 as every authenticator app implements it: HMAC-SHA-1, 6 digits, 30-second steps. */
const PERIOD_SECONDS = 30;
const DIGITS = 6;
/** Clock skew tolerated, in steps either side (CONTRACT §5: ±1 step). */
const WINDOW = 1;

/** A TOTP secret in the forms enrolment shows: base32 for typing, the otpauth:// URI for a QR code. */
export interface TotpEnrolment {
  secret: string;
  otpauthUrl: string;
}

/** A fresh 160-bit secret (RFC 4226 §4 recommends 160) labelled for the person's authenticator app. */
export function newTotpSecret(random: RandomSource, label: { issuer: string; account: string }): TotpEnrolment {
  const secret = new Secret({ buffer: new Uint8Array(random.bytes(20)).buffer });
  return { secret: secret.base32, otpauthUrl: totpFor(secret.base32, label).toString() };
}

/** The otpauth:// URI of an existing secret, for showing a set-up again (its QR code). */
export function otpauthUrlOf(secret: string, label: { issuer: string; account: string }): string {
  return totpFor(secret, label).toString();
}

/**
 * The time step a code belongs to when it is valid at `now` within ±1 step, else null. Why the step and not a
 * boolean: the caller stores the last accepted step, so the same code (or an older one) is refused afterwards.
 */
export function matchingStep(secret: string, code: string, now: number): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totpFor(secret, { issuer: '', account: '' }).validate({ token: code, timestamp: now, window: WINDOW });
  return delta === null ? null : currentStep(now) + delta;
}

/** The RFC 6238 counter at `now`: whole periods since the Unix epoch. */
function currentStep(now: number): number {
  return Math.floor(now / 1000 / PERIOD_SECONDS);
}

function totpFor(base32: string, label: { issuer: string; account: string }): TOTP {
  return new TOTP({ issuer: label.issuer, label: label.account, algorithm: 'SHA1', digits: DIGITS, period: PERIOD_SECONDS, secret: Secret.fromBase32(base32) });
}
