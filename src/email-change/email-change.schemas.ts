import { Type } from 'typebox';
import { Email } from '../http/schemas.js';

/** `POST /auth/change-email`; why strict: only the new address, nothing else is taken from the body. */
export const ChangeEmailBody = Type.Object({
  email: Email,
  // Step-up, needed when the account has a second factor (CONTRACT §5): the current password or a code.
  password: Type.Optional(Type.String({ maxLength: 1024 })),
  code: Type.Optional(Type.String({ minLength: 6, maxLength: 64 })),
}, { additionalProperties: false });
/** Its 202 answer: the address now waiting for the link mailed to it. */
export const PendingEmail = Type.Object({ pendingEmail: Type.String() });
