import { Type, type Static } from 'typebox';
import { StepUpFactorFields } from '../http/proof.schemas.js';
import { Email, LoginName, OpaqueToken, Password, PRINTABLE } from '../http/schemas.js';
import { InviteCode } from '../invites/invite.schemas.js';

/*
 * One schema per route (DESIGN): it validates the request, types the handler, serialises the response
 * (so a secret can never be written out by accident) and generates /openapi.json. Shared pieces: http/schemas.ts.
 */

export const Username = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[\\p{L}\\p{N}._@+-]+$',
  description: 'Letters, digits and . _ @ + - ; defaults to the e-mail',
});

const strict = { additionalProperties: false } as const;

export const RegisterBody = Type.Object(
  {
    username: Type.Optional(Username), email: Email, password: Password, confirmationKey: Type.Optional(Type.String({ maxLength: 512, pattern: PRINTABLE })),
    invite: Type.Optional(InviteCode),
  },
  strict,
);
export type RegisterBody = Static<typeof RegisterBody>;

export const LoginBody = Type.Object(
  {
    username: Type.Optional(LoginName),
    email: Type.Optional(LoginName),
    password: Type.String({ minLength: 1 }),
    clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: PRINTABLE })),
    scope: Type.Optional(Type.String({ maxLength: 1024, pattern: PRINTABLE })),
  },
  strict,
);
export type LoginBody = Static<typeof LoginBody>;

/** Its shape is checked by the token layer, so a malformed refresh token is a 401 `invalid-token` like any bad credential. */
const RefreshToken = Type.String({ minLength: 1, maxLength: 512 });
export const RefreshBody = Type.Object({ refreshToken: RefreshToken }, strict);
export const LogoutBody = Type.Union([Type.Object({ refreshToken: Type.Optional(RefreshToken) }, strict), Type.Null()]);
export const ChangePasswordBody = Type.Object({
  currentPassword: Type.Optional(Type.String()),
  // A second-factor code or passkey instead of currentPassword, for an account that has one (CONTRACT §5 step-up).
  ...StepUpFactorFields,
  password: Password,
}, strict);
export const ConfirmedQuery = Type.Object(
  { username: Type.Optional(LoginName), email: Type.Optional(LoginName) },
  strict,
);
export const ConfirmBody = Type.Object({ token: OpaqueToken }, strict);
export const ResendConfirmationBody = Type.Object({ email: Email }, strict);
export const AdminAccountBody = Type.Object(
  {
    id: Type.Optional(Type.String({ format: 'uuid' })),
    username: Type.Optional(LoginName),
    email: Type.Optional(Email),
    password: Type.Optional(Password),
    confirmed: Type.Optional(Type.Boolean()),
    roles: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 8 })),
  },
  strict,
);
