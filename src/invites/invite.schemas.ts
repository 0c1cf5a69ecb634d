import { Type } from 'typebox';
import { halListSchema, HalLinksSchema, PageQuery } from '../http/hal.js';
import { MAX_INVITES_PER_REQUEST } from './invite.service.js';

/** An invitation code as a registration form or body carries it. */
export const InviteCode = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$', description: 'An unused invitation code (signup.inviteOnly)' });

export const CreateInvitesBody = Type.Object(
  { count: Type.Integer({ minimum: 1, maximum: MAX_INVITES_PER_REQUEST, description: 'How many codes to create' }) },
  { additionalProperties: false },
);

export const CreatedInvites = Type.Object(
  { codes: Type.Array(Type.String(), { description: 'The new codes, shown only this once (stored as SHA-256)' }), _links: HalLinksSchema },
  { description: 'New invitation codes' },
);

export const InviteItem = Type.Object(
  { id: Type.String({ format: 'uuid' }), createdAt: Type.String({ format: 'date-time' }), createdBy: Type.Union([Type.String(), Type.Null()]), _links: HalLinksSchema },
  { description: 'An unused invite; its code is not stored in clear and cannot be shown again' },
);

export const InviteList = halListSchema('ec:invite', InviteItem);

export const InviteListQuery = Type.Object({ ...PageQuery });

export const InviteParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
