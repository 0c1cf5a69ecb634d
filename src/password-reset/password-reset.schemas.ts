import { Type } from 'typebox';
import { Email, OpaqueToken, Password } from '../http/schemas.js';

const strict = { additionalProperties: false } as const;

/** `POST /api/auth/forgot-password`; why a schema of its own: only the e-mail, nothing else is accepted. */
export const ForgotPasswordBody = Type.Object({ email: Email }, strict);
/** `POST /api/auth/reset-password`: the e-mailed token (or its whole link) and the new password. */
export const ResetPasswordBody = Type.Object({ token: OpaqueToken, password: Password }, strict);
