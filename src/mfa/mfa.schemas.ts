import { Type } from 'typebox';
import { AssertionCredential, RegistrationCredential, SecondFactorCode as Code, StepUpFactorFields } from '../http/proof.schemas.js';

export const TotpSetup = Type.Object({
  secret: Type.String({ description: 'base32, for typing into an authenticator app' }),
  otpauthUrl: Type.String(),
  qrSvg: Type.String({ description: 'the otpauth URL as an SVG QR code' }),
});

export const ConfirmTotpBody = Type.Object({ code: Type.String({ minLength: 1, maxLength: 16 }) }, { additionalProperties: false });

export const RecoveryCodeList = Type.Object({ recoveryCodes: Type.Array(Type.String(), { description: 'shown this once; stored only hashed' }) });

/** Step-up: the current password, a code of a factor the account has, or an assertion of one of its passkeys (CONTRACT §5). */
export const StepUpBody = Type.Object({
  ...StepUpFactorFields,
  password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
}, { additionalProperties: false });

export const FactorSummary = Type.Object({
  totp: Type.Boolean(),
  passkeys: Type.Integer(),
  recoveryCodesLeft: Type.Integer(),
  required: Type.Boolean({ description: 'mfa.requiredFor covers this account' }),
});

/** A passkey's name as its owner gives it. */
const PasskeyName = Type.String({ minLength: 1, maxLength: 64, pattern: '\\S', description: 'a name of the owner\'s choosing, e.g. the device' });

export const RegisterPasskeyBody = Type.Object({ credential: RegistrationCredential, name: Type.Optional(PasskeyName) }, { additionalProperties: false });
export const RenamePasskeyBody = Type.Object({ name: PasskeyName }, { additionalProperties: false });
export const PasskeyParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const Passkey = Type.Object({
  id: Type.String(),
  name: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  disabled: Type.Boolean({ description: 'refused since its signature counter went backwards (a cloned authenticator?)' }),
});
export const PasskeyList = Type.Array(Passkey);
export const PasskeyCreated = Type.Object({
  id: Type.String(),
  name: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  recoveryCodes: Type.Optional(Type.Array(Type.String(), { description: 'with the account\'s first factor only: shown this once' })),
});

/** WebAuthn options JSON (`PublicKeyCredentialCreationOptionsJSON` / `…RequestOptionsJSON`), for the browser. */
export const CeremonyOptions = Type.Object({ challenge: Type.String() }, { additionalProperties: true });

export const PasskeyLoginBody = Type.Object({
  credential: AssertionCredential,
  clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
}, { additionalProperties: false });
export const MfaTokenBody = Type.Object({ mfaToken: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });

export const VerifyBody = Type.Object({
  mfaToken: Type.String({ minLength: 1, maxLength: 128 }),
  method: Type.Union([Type.Literal('totp'), Type.Literal('recovery'), Type.Literal('webauthn')]),
  code: Type.Optional(Code),
  credential: Type.Optional(AssertionCredential),
}, { additionalProperties: false });
