import type { Principal } from '../permissions/principal.js';
import { implies, isPermitted, isValidPermission } from '../permissions/wildcard.js';

/**
 * Every permission Gatehouse itself checks (CONTRACT §3, "Admin endpoints check …"). Why a list here: a wildcard
 * such as `accounts:*` or `*:read` means something to a person only as the concrete rights it grants, and these are
 * the ones this server acts on; anything else a permission grants is for the applications that read it.
 */
export const CHECKED_PERMISSIONS: readonly string[] = [
  'accounts:read', 'accounts:write', 'accounts:delete', 'accounts:create-anonymous',
  'groups:read', 'groups:write',
  'clients:read', 'clients:write',
  'invites:read', 'invites:write',
  'sessions:read', 'sessions:delete',
  'audit:read',
  'system:config',
];

/** What one permission string would grant, and whether the person looking at it could grant it. */
export interface PermissionPreview {
  permission: string;
  /** False for a string GroupService would refuse (isValidPermission). */
  valid: boolean;
  /** The checked permissions it implies (Shiro semantics, wildcard.ts), in CHECKED_PERMISSIONS order. */
  grants: string[];
  /** It implies every permission there is (`*`, `*:*`, …), not only every checked one. */
  everything: boolean;
  /** The actor holds it, so it may hand it out (no escalation: permissions/grants.ts). */
  held: boolean;
}

/** A probe no real permission is named like: a permission implying it implies anything at its depth. */
const ANY = ['zz-any-resource', 'zz-any-action', 'zz-any-instance'].join(':');

/** The preview of each permission, as the matcher the services use reads it. */
export function previewPermissions(actor: Principal, permissions: readonly string[]): PermissionPreview[] {
  return permissions.map((permission) => {
    const valid = isValidPermission(permission);
    return {
      permission,
      valid,
      grants: valid ? CHECKED_PERMISSIONS.filter((checked) => implies(permission, checked)) : [],
      everything: valid && implies(permission, ANY),
      held: valid && isPermitted(actor.permissions, permission),
    };
  });
}

/** The non-empty lines of a textarea, trimmed: how the console's forms take a list of permissions. */
export function linesOf(text: string): string[] {
  return text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
}
