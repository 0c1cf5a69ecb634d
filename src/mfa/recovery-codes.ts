import { createHmac } from 'node:crypto';
import type { RandomSource } from '../clock.js';

/** How many codes a set holds (CONTRACT §5). */
const RECOVERY_CODE_COUNT = 10;
/** Crockford-style alphabet without look-alikes (no I, L, O, U): a code read off paper is typed back right. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * Ten fresh codes like `7KQ2M-9XD4T` (50 random bits each). Why this shape: short enough to type from paper,
 * long enough that guessing one is hopeless behind lockout and rate limits.
 */
export function newRecoveryCodes(random: RandomSource): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const bytes = random.bytes(10);
    const chars = [...bytes].map((byte) => ALPHABET[byte % 32]);
    return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`;
  });
}

/**
 * What is stored for a code: an HMAC-SHA-256 under the server key of its normalised form. Why an HMAC and not a
 * plain hash: 50 bits could be searched offline from a database dump alone; with the key they cannot.
 */
export function recoveryCodeHash(serverKey: string, code: string): string {
  return createHmac('sha256', serverKey).update(`recovery:${normaliseRecoveryCode(code)}`).digest('base64url');
}

/** Upper case, without spaces or dashes, look-alikes mapped (O→0, I/L→1): what a person types is what was shown. */
function normaliseRecoveryCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}
