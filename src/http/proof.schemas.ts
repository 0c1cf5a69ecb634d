import { Type, type Static } from 'typebox';

/**
 * What proves a person in a request body besides a password: WebAuthn's answers as JSON, and the second-factor fields
 * of step-up (CONTRACT §5). Why here, below accounts/ and mfa/: every step-up route — password and e-mail changes,
 * account deletion, turning factors off — takes the same `code` and `credential`, declared once.
 */

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

/** A passkey's assertion as a checked request body carries it. */
export type AssertionJson = Static<typeof AssertionCredential>;

/** A six-digit TOTP code, or a recovery code like `7KQ2M-9XD4T` (typed with or without the dash). */
export const SecondFactorCode = Type.String({ minLength: 6, maxLength: 64, description: 'a current TOTP code or an unused recovery code' });

/**
 * The second-factor proofs of step-up, to spread into a body beside its password field: a code, or the assertion of
 * one of the caller's passkeys made on the options of `POST /api/auth/passkeys/step-up/options`.
 */
export const StepUpFactorFields = {
  code: Type.Optional(SecondFactorCode),
  credential: Type.Optional(AssertionCredential),
};
