import { Type } from 'typebox';
import { StepUpFactorFields } from '../http/proof.schemas.js';
import { Email } from '../http/schemas.js';

/** `POST /auth/change-email`; why strict: only the new address, nothing else is taken from the body. */
export const ChangeEmailBody = Type.Object({
  email: Email,
  // Step-up, needed when the account has a second factor (CONTRACT §5): the current password, a code or a passkey.
  password: Type.Optional(Type.String({ maxLength: 1024 })),
  ...StepUpFactorFields,
}, { additionalProperties: false });
/** Its 202 answer: the address now waiting for the link mailed to it. */
export const PendingEmail = Type.Object({ pendingEmail: Type.String() });
