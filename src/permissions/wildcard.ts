import { LruCache } from '../util/lru.js';

/**
 * Shiro wildcard permissions (seed 000): `part:part:part`, each part a `,` list or `*`;
 * a permission implies every longer one it is a prefix of (`accounts` implies `accounts:read`).
 * Parsing and matching follow Apache Shiro's `WildcardPermission` (case-insensitive, its default) token for token,
 * Java's `String.trim` and `String.split` quirks included, so a permission means here what it means in Shiro.
 */
type Parts = ReadonlyArray<ReadonlySet<string>>;

const WILDCARD = '*';

/** Parsed permissions by text: checks run on every request against the same few strings. */
const parsed = new LruCache<string, Parts | null>(4096);

/** Java's `String.trim()` (what Shiro's `StringUtils.clean` calls): strips every char ≤ U+0020 at both ends, nothing else. */
function javaTrim(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && value.charCodeAt(start) <= 0x20) start++;
  while (end > start && value.charCodeAt(end - 1) <= 0x20) end--;
  return value.slice(start, end);
}

/** Java's `String.split(literal)`: no match gives the whole string; otherwise trailing empty strings are dropped. */
function javaSplit(value: string, separator: string): string[] {
  if (!value.includes(separator)) return [value];
  const pieces = value.split(separator);
  while (pieces.length && pieces[pieces.length - 1] === '') pieces.pop();
  return pieces;
}

/** Shiro's `setParts`; null where Shiro throws (blank, only dividers, a part of only `,`). */
function parse(permission: string): Parts | null {
  const cached = parsed.get(permission);
  if (cached !== undefined) return cached;
  let result: Parts | null = null;
  const clean = javaTrim(permission);
  if (clean !== '') {
    const parts = javaSplit(clean.toLowerCase(), ':').map((part) => new Set(javaSplit(part, ',')));
    if (parts.length && parts.every((part) => part.size > 0)) result = parts;
  }
  parsed.set(permission, result);
  return result;
}

/**
 * True when `granted` implies `required` (Shiro's `WildcardPermission.implies`). A string Shiro could not even
 * construct (blank, `:`, `a:,`) implies nothing and is implied by nothing.
 */
export function implies(granted: string, required: string): boolean {
  const have = parse(granted);
  const want = parse(required);
  if (!have || !want) return false;
  for (let i = 0; i < want.length; i++) {
    // A granted permission with fewer parts implies everything below its last part.
    if (i >= have.length) return true;
    const mine = have[i]!;
    if (mine.has(WILDCARD)) continue;
    for (const token of want[i]!) if (!mine.has(token)) return false;
  }
  // Granted parts beyond what was asked must all be wildcards to imply it.
  for (let i = want.length; i < have.length; i++) if (!have[i]!.has(WILDCARD)) return false;
  return true;
}

/** True when any of `granted` implies `required`. */
export function isPermitted(granted: readonly string[], required: string): boolean {
  return granted.some((permission) => implies(permission, required));
}

/** The longest permission string we store. */
export const MAX_PERMISSION_LENGTH = 256;

const TOKEN = '(?:\\*|[A-Za-z0-9_.\\-]+)';
const PART = `${TOKEN}(?:,${TOKEN})*`;
const WELL_FORMED = new RegExp(`^${PART}(?::${PART})*$`);

/**
 * A permission we accept for storage: non-empty parts of non-empty `,` lists whose tokens are letters, digits,
 * `_ . -`, or a lone `*`. Stricter than Shiro on purpose: Shiro would take `a::b` (an empty part) or `re*d`
 * (a literal, not a glob) without complaint, and neither is what anyone granting it means.
 */
export function isValidPermission(permission: string): boolean {
  return permission.length <= MAX_PERMISSION_LENGTH && WELL_FORMED.test(permission);
}

/** The built-in roles' permissions (CONTRACT §3); `user` has none beyond its own account. */
export const rolePermissions: Readonly<Record<string, readonly string[]>> = Object.freeze({
  admin: ['accounts:*', 'groups:*', 'clients:*', 'invites:*', 'sessions:*', 'audit:*'],
  sysadmin: ['*'],
  user: [],
});

/** The roles that are stored as built-in groups. */
export const builtinRoles = ['admin', 'sysadmin'] as const;
export type BuiltinRole = (typeof builtinRoles)[number];
