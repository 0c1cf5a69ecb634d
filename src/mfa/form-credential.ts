import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { Type } from 'typebox';
import { Check } from 'typebox/value';
import { invalidField } from '../http/errors.js';
import { AssertionCredential, RegistrationCredential } from '../http/proof.schemas.js';

/**
 * The `credential` field a hosted page's passkey form posts: the WebAuthn JSON the passkey script wrote, as text
 * (form bodies are flat). Bounded well under the forms' 16 KiB body limit; a ceremony's answer is about 1–2 KiB.
 */
export const CredentialField = Type.String({ minLength: 2, maxLength: 12_000 });

/** The form's `credential` text as an assertion (`navigator.credentials.get`); `400` naming `credential` when it is not one. */
export function assertionFromForm(text: string | undefined): AuthenticationResponseJSON {
  return parse(text, AssertionCredential, 'navigator.credentials.get') as AuthenticationResponseJSON;
}

/** The form's `credential` text as a new credential (`navigator.credentials.create`); `400` naming `credential` otherwise. */
export function registrationFromForm(text: string | undefined): RegistrationResponseJSON {
  return parse(text, RegistrationCredential, 'navigator.credentials.create') as RegistrationResponseJSON;
}

function parse(text: string | undefined, schema: typeof AssertionCredential | typeof RegistrationCredential, ceremony: string): unknown {
  if (text === undefined || text === '') throw invalidField('credential', `is required: the answer of ${ceremony} as WebAuthn JSON`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidField('credential', 'is not JSON');
  }
  if (!Check(schema, value)) throw invalidField('credential', `is not the answer of ${ceremony} in WebAuthn JSON`);
  return value;
}
