import { Type, type Static } from 'typebox';
import { InviteCode } from '../invites/invite.schemas.js';

/*
 * One schema per route (DESIGN): it validates the request, types the handler, serialises the response
 * (so a secret can never be written out by accident) and generates /openapi.json.
 */

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

export const Email = Type.String({ format: 'email', maxLength: 254, description: 'An e-mail address' });
export const Username = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[\\p{L}\\p{N}._@+-]+$',
  description: 'Letters, digits and . _ @ + - ; defaults to the e-mail',
});
/** No maxLength on purpose: the 2048 cap is a password rule reported as `password-policy` (CONTRACT §4). */
export const Password = Type.String({ description: 'Checked against password.policy.*; at most 2048 characters' });
/** Printable text: control characters (NUL above all, which PostgreSQL refuses in text) are bad input, not a 500. */
const NO_CONTROL = '^[^\\u0000-\\u001f\\u007f]*$';
const LoginName = Type.String({ minLength: 1, maxLength: 254, pattern: NO_CONTROL });
const OpaqueToken = Type.String({ minLength: 1, maxLength: 512, pattern: '^[A-Za-z0-9_.~:/?=&%+-]+$' });

export const AccountView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    username: Type.String(),
    email: Nullable(Type.String()),
    confirmed: Type.Boolean(),
    language: Nullable(Type.String()),
    type: Type.Union([Type.Literal('user'), Type.Literal('guest'), Type.Literal('apikey')]),
    roles: Type.Array(Type.String()),
    groups: Type.Array(Type.String()),
    permissions: Type.Array(Type.String()),
    createdAt: Type.String({ format: 'date-time' }),
    lastLoginAt: Nullable(Type.String({ format: 'date-time' })),
    hasPassword: Type.Boolean(),
    pendingEmail: Nullable(Type.String()),
  },
  { $id: 'Account', description: 'An account (CONTRACT §3)' },
);

export const OAuthToken = Type.Object(
  {
    accessToken: Type.String(),
    accessTokenExpiresAt: Type.String({ format: 'date-time' }),
    refreshToken: Type.String(),
    refreshTokenExpiresAt: Type.Optional(Type.String({ format: 'date-time', description: 'absent when the token never expires (guests)' })),
    scope: Type.Optional(Type.String()),
    userId: Type.String(),
    clientId: Type.Optional(Type.String()),
  },
  { $id: 'OAuthToken', description: "Seed 003's OAuthToken" },
);

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String(), rule: Type.Optional(Type.String()) }))),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' },
);

const strict = { additionalProperties: false } as const;

export const RegisterBody = Type.Object(
  {
    username: Type.Optional(Username), email: Email, password: Password, confirmationKey: Type.Optional(Type.String({ maxLength: 512, pattern: NO_CONTROL })),
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
    clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: NO_CONTROL })),
    scope: Type.Optional(Type.String({ maxLength: 1024, pattern: NO_CONTROL })),
  },
  strict,
);
export type LoginBody = Static<typeof LoginBody>;

/** Its shape is checked by the token layer, so a malformed refresh token is a 401 `invalid-token` like any bad credential. */
const RefreshToken = Type.String({ minLength: 1, maxLength: 512 });
export const RefreshBody = Type.Object({ refreshToken: RefreshToken }, strict);
export const LogoutBody = Type.Union([Type.Object({ refreshToken: Type.Optional(RefreshToken) }, strict), Type.Null()]);
export const ChangePasswordBody = Type.Object({ currentPassword: Type.Optional(Type.String()), password: Password }, strict);
export const ConfirmedQuery = Type.Object(
  { username: Type.Optional(LoginName), email: Type.Optional(LoginName) },
  strict,
);
export const ConfirmBody = Type.Object({ token: OpaqueToken }, strict);
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
export const ForgotPasswordBody = Type.Object({ email: Email }, strict);
export const ResetPasswordBody = Type.Object({ token: OpaqueToken, password: Password }, strict);

export const errorResponses = {
  400: Problem,
  401: Problem,
  403: Problem,
  404: Problem,
  409: Problem,
  429: Problem,
  // A login when the hashing queue is full (`overloaded`, src/passwords/hasher.ts).
  503: Problem,
} as const;
