import { Type } from 'typebox';
import { Email } from '../http/schemas.js';

/** `POST /auth/change-email`; why strict: only the new address, nothing else is taken from the body. */
export const ChangeEmailBody = Type.Object({ email: Email }, { additionalProperties: false });
/** Its 202 answer: the address now waiting for the link mailed to it. */
export const PendingEmail = Type.Object({ pendingEmail: Type.String() });
