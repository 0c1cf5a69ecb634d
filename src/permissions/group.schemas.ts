import { Type, type Static } from 'typebox';
import { halListSchema, halSchema, PageQuery } from '../http/hal.js';
import { MAX_PERMISSION_LENGTH } from './wildcard.js';

/*
 * One schema per route (DESIGN): request shapes are strict (unknown fields are bad input), responses list
 * every field so nothing else can be serialised out. Permission syntax is checked by the service with
 * isValidPermission, which names the offending entry.
 */

const strict = { additionalProperties: false } as const;

/** The most permissions one group may carry, and the most accounts one request may name. */
export const MAX_GROUP_PERMISSIONS = 100;
export const MAX_GROUP_ACCOUNTS = 1000;

/** Group ids: UUIDs for created groups, the role name for the built-ins (`admin`, `sysadmin`). */
export const GroupId = Type.String({ pattern: '^[a-z0-9-]{1,64}$', description: 'A UUID, or admin / sysadmin for the built-in groups' });
export const GroupName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$', description: 'Letters, digits and . _ - ; unique regardless of case' });
const Permission = Type.String({ minLength: 1, maxLength: MAX_PERMISSION_LENGTH, description: 'A Shiro wildcard permission, e.g. accounts:read,write' });
const Permissions = Type.Array(Permission, { maxItems: MAX_GROUP_PERMISSIONS });
const AccountIds = Type.Array(Type.String({ format: 'uuid' }), { maxItems: MAX_GROUP_ACCOUNTS, description: 'The member accounts’ ids' });

export const GroupParams = Type.Object({ id: GroupId }, strict);
export const MembershipParams = Type.Object({ id: GroupId, accountId: Type.String({ format: 'uuid' }) }, strict);
export const GroupListQuery = Type.Object(PageQuery);

export const CreateGroupBody = Type.Object(
  { name: GroupName, permissions: Type.Optional(Permissions), accounts: Type.Optional(AccountIds) },
  strict,
);
export type CreateGroupBody = Static<typeof CreateGroupBody>;

export const UpdateGroupBody = Type.Object(
  { name: Type.Optional(GroupName), permissions: Type.Optional(Permissions), accounts: Type.Optional(AccountIds) },
  strict,
);
export type UpdateGroupBody = Static<typeof UpdateGroupBody>;

const groupFields = {
  id: Type.String(),
  name: Type.String(),
  permissions: Type.Array(Type.String()),
  builtin: Type.Boolean({ description: 'admin and sysadmin: roles whose name and permissions are fixed in code' }),
  createdAt: Type.String({ format: 'date-time' }),
};

/** `GET /groups/{id}` (CONTRACT §5 `{id, name, permissions, accounts}`). */
export const GroupResource = halSchema({ ...groupFields, accounts: Type.Array(Type.String()) }, { $id: 'Group', description: 'A permission group' });

/** A list item: the member list is left to the group's own resource so a page stays small. */
export const GroupSummary = halSchema(groupFields);

export const GroupList = halListSchema('ec:acc/group', GroupSummary);
