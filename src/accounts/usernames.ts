import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/types.js';
import { AppError, invalidField } from '../http/errors.js';
import { findConflicts, loginKey } from './account.repository.js';

type Db = Kysely<DB> | Transaction<DB>;

/** Characters a username may hold after normalisation (the API schema's pattern, checked again after NFKC). */
const USERNAME_CHARACTERS = /^[\p{L}\p{N}._@+-]+$/u;
const MAX_USERNAME_LENGTH = 128;

/**
 * Scripts whose letters pass for Latin ones (Cyrillic а, Greek ο, Armenian օ, Cherokee Ꭺ): a name may use one of
 * them, never two — `pаypal` with a Cyrillic а is refused, `сергей` and `paypal` are not.
 */
const LOOK_ALIKE_SCRIPTS = [
  ['Latin', /\p{Script=Latin}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['Armenian', /\p{Script=Armenian}/u],
  ['Cherokee', /\p{Script=Cherokee}/u],
] as const;

/**
 * Lower-case letters of other scripts (and the dotless ı) that look like a Latin letter, for the look-alike check
 * against existing names. Not Unicode's full confusables table: the letters that spell whole Latin words.
 */
const LATIN_LOOK_ALIKES: Record<string, string> = {
  а: 'a', в: 'b', с: 'c', ԁ: 'd', е: 'e', һ: 'h', і: 'i', ј: 'j', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', ԛ: 'q',
  ѕ: 's', т: 't', у: 'y', х: 'x', ԝ: 'w', ӏ: 'l', ı: 'i',
  α: 'a', β: 'b', ε: 'e', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x',
  օ: 'o', ս: 'u', ց: 'g', հ: 'h', ո: 'n',
};

/** NFKC, trimmed: fullwidth `ａｄｍｉｎ` and ligatures become the plain letters people read. */
export function normalizeUsername(raw: string): string {
  return raw.normalize('NFKC').trim();
}

/** Why a (normalised) username may not be used, or null; `ownEmail` is the only address it may look like. */
export function usernameProblem(name: string, ownEmail: string | null): string | null {
  if (name.length === 0 || name.length > MAX_USERNAME_LENGTH) return `must be 1 to ${MAX_USERNAME_LENGTH} characters`;
  if (!USERNAME_CHARACTERS.test(name)) return 'may contain only letters, digits and . _ @ + -';
  if (name.includes('@') && (ownEmail === null || loginKey(name) !== loginKey(ownEmail.normalize('NFKC')))) {
    return 'must not look like an e-mail address (only the account\'s own e-mail may be its username)';
  }
  // İ lower-cases to i + a combining dot: a name that is not one letter per letter once case is ignored.
  if (/\p{M}/u.test(loginKey(name).normalize('NFKC'))) return 'contains a letter that changes when lower-cased (such as İ)';
  const scripts = LOOK_ALIKE_SCRIPTS.filter(([, letters]) => letters.test(name)).map(([script]) => script);
  if (scripts.length > 1) return `must not mix letters of different scripts (${scripts.join(' and ')})`;
  return null;
}

/** The Latin word a name of look-alike letters passes for; equal to the key when it has none. */
export function latinSkeleton(key: string): string {
  return [...key].map((letter) => LATIN_LOOK_ALIKES[letter] ?? letter).join('');
}

/**
 * The username to store for `requested` (the e-mail when none is asked for, CONTRACT §3), after NFKC; throws
 * `invalid-request` naming `username` for a refused name, `conflict` for one that passes for an existing
 * account's name or e-mail. Exact collisions are left to the caller's conflict check and the unique index.
 */
export async function acceptableUsername(db: Db, requested: string | undefined, email: string | null): Promise<string> {
  if (requested === undefined) {
    if (email === null) throw invalidField('username', 'is required');
    return email;
  }
  const name = normalizeUsername(requested);
  const problem = usernameProblem(name, email);
  if (problem) throw invalidField('username', problem);
  if (await passesForAnother(db, name)) {
    throw new AppError('conflict', 'username: looks like an existing username', { errors: [{ field: 'username', message: 'looks like an existing username' }] });
  }
  return name;
}

/** A name that is not refused and not taken, or null; for callers that fall back to another name instead of failing. */
export async function freeUsername(db: Db, candidate: string, email: string | null): Promise<string | null> {
  const name = normalizeUsername(candidate);
  if (usernameProblem(name, email)) return null;
  if (await passesForAnother(db, name)) return null;
  return (await findConflicts(db, loginKey(name), null)).username ? null : name;
}

async function passesForAnother(db: Db, name: string): Promise<boolean> {
  const key = loginKey(name);
  const skeleton = latinSkeleton(key);
  return skeleton !== key && (await findConflicts(db, skeleton, null)).username;
}
