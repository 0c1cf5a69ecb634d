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

/** base64url text of at most `max` characters (WebAuthn's binary fields as JSON carries them). */
const B64 = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '^[A-Za-z0-9_-]+$' });

/** A credential as `navigator.credentials.*` answers it, in WebAuthn's JSON form (`PublicKeyCredential.toJSON()`). */
const credentialOf = <R extends ReturnType<typeof Type.Object>>(response: R) => Type.Object({
  id: B64(1400),
  rawId: B64(1400),
  type: Type.Literal('public-key'),
  response,
  // null: what browsers report when they do not know (hand-written glue often passes it on).
  authenticatorAttachment: Type.Optional(Type.Union([Type.Literal('platform'), Type.Literal('cross-platform'), Type.Null()])),
  clientExtensionResults: Type.Object({}, { additionalProperties: true, maxProperties: 16 }),
}, { additionalProperties: false });

/** What `navigator.credentials.create()` answers. */
export const RegistrationCredential = credentialOf(Type.Object({
  clientDataJSON: B64(4096),
  attestationObject: B64(16384),
  transports: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 8 })),
  authenticatorData: Type.Optional(B64(16384)),
  publicKey: Type.Optional(B64(4096)),
  publicKeyAlgorithm: Type.Optional(Type.Integer()),
}, { additionalProperties: false }));

/** What `navigator.credentials.get()` answers. */
export const AssertionCredential = credentialOf(Type.Object({
  clientDataJSON: B64(4096),
  authenticatorData: B64(4096),
  signature: B64(1024),
  userHandle: Type.Optional(Type.Union([Type.String({ maxLength: 128, pattern: '^[A-Za-z0-9_-]*$' }), Type.Null()])),
}, { additionalProperties: false }));

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
