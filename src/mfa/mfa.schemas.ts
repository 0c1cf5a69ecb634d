import { Type } from 'typebox';

/** A six-digit TOTP code, or a recovery code like `7KQ2M-9XD4T` (typed with or without the dash). */
const Code = Type.String({ minLength: 6, maxLength: 64, description: 'a current TOTP code or an unused recovery code' });

export const TotpSetup = Type.Object({
  secret: Type.String({ description: 'base32, for typing into an authenticator app' }),
  otpauthUrl: Type.String(),
  qrSvg: Type.String({ description: 'the otpauth URL as an SVG QR code' }),
});

export const ConfirmTotpBody = Type.Object({ code: Type.String({ minLength: 1, maxLength: 16 }) }, { additionalProperties: false });

export const RecoveryCodeList = Type.Object({ recoveryCodes: Type.Array(Type.String(), { description: 'shown this once; stored only hashed' }) });

/** Step-up: the current password, or a code of a factor the account has (CONTRACT §5). */
export const StepUpBody = Type.Object({
  code: Type.Optional(Code),
  password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
}, { additionalProperties: false });

export const FactorSummary = Type.Object({
  totp: Type.Boolean(),
  passkeys: Type.Integer(),
  recoveryCodesLeft: Type.Integer(),
  required: Type.Boolean({ description: 'mfa.requiredFor covers this account' }),
});

export const VerifyBody = Type.Object({
  mfaToken: Type.String({ minLength: 1, maxLength: 128 }),
  method: Type.Union([Type.Literal('totp'), Type.Literal('recovery'), Type.Literal('webauthn')]),
  code: Type.Optional(Code),
  credential: Type.Optional(Type.Object({}, { additionalProperties: true })),
}, { additionalProperties: false });
