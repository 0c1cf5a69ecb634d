/**
 * Shiro wildcard permissions (seed 000): `part:part:part`, each part a `,` list or `*`;
 * a permission implies every longer one it is a prefix of (`accounts` implies `accounts:read`).
 */
type Parts = string[][];

function parse(permission: string): Parts {
  return permission
    .trim()
    .toLowerCase()
    .split(':')
    .map((part) => part.split(',').map((token) => token.trim()).filter(Boolean));
}

/** True when `granted` implies `required` (Shiro's WildcardPermission.implies). */
export function implies(granted: string, required: string): boolean {
  const have = parse(granted);
  const want = parse(required);
  for (let i = 0; i < want.length; i++) {
    // Shiro: a granted permission with fewer parts implies everything below its last part.
    if (i >= have.length) return true;
    const mine = have[i]!;
    if (mine.includes('*')) continue;
    if (!want[i]!.every((token) => mine.includes(token))) return false;
  }
  // Granted parts beyond what was asked must all be wildcards to imply it.
  return have.slice(want.length).every((part) => part.includes('*'));
}

/** True when any of `granted` implies `required`. */
export function isPermitted(granted: readonly string[], required: string): boolean {
  return granted.some((permission) => implies(permission, required));
}

/** A permission string is well formed: non-empty parts of letters, digits, `_ - . * ,` and no blank list entries. */
export function isValidPermission(permission: string): boolean {
  return /^[A-Za-z0-9_.*\-]+(,[A-Za-z0-9_.*\-]+)*(:[A-Za-z0-9_.*\-]+(,[A-Za-z0-9_.*\-]+)*)*$/.test(permission) && permission.length <= 256;
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
