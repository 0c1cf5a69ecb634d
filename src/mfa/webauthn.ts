import {
  generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse,
  type AuthenticationResponseJSON, type AuthenticatorTransportFuture, type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON, type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Config } from '../config/index.js';

/** ES256 and RS256: what Chromium, platform authenticators and security keys offer (COSE -7, -257). */
const ALGORITHMS = [-7, -257];

/** Why a ceremony's answer was refused, as the audit log and the problem detail name it. */
export type RefusalReason =
  | 'challenge' | 'origin' | 'rp-id' | 'user-verification' | 'signature' | 'unknown-credential' | 'disabled'
  | 'other-account' | 'user-handle' | 'counter' | 'malformed';

/** A refused ceremony answer. */
export class CeremonyRefused extends Error {
  constructor(readonly reason: RefusalReason, message: string) {
    super(message);
  }
}

/** A credential as the repository keeps it, for the library. */
export interface StoredCredential {
  credentialId: string;
  publicKey: string;
  transports: AuthenticatorTransportFuture[];
}

/**
 * The relying party's side of the two WebAuthn ceremonies over @simplewebauthn/server (DESIGN: verified by the
 * library, never by hand), with this server's rules fixed once: discoverable credentials, user verification required,
 * the configured RP ID and origins, and challenges that `takeChallenge` uses up (single use, any node).
 */
export class RelyingParty {
  constructor(private readonly settings: Config['mfa']['webauthn'], private readonly timeoutMs: number) {}

  /** Creation options for `navigator.credentials.create` (the user handle is the account id's bytes). */
  creationOptions(input: { accountId: string; userName: string; challenge: string; exclude: StoredCredential[] }): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return generateRegistrationOptions({
      rpName: this.settings.rpName, rpID: this.settings.rpId,
      userName: input.userName, userDisplayName: input.userName, userID: new Uint8Array(Buffer.from(input.accountId, 'utf8')),
      challenge: new Uint8Array(Buffer.from(input.challenge, 'base64url')), timeout: this.timeoutMs, attestationType: 'none',
      excludeCredentials: input.exclude.map((credential) => ({ id: credential.credentialId, transports: credential.transports })),
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
      supportedAlgorithmIDs: ALGORITHMS,
    });
  }

  /** Request options for `navigator.credentials.get`; an empty allow-list lets the authenticator offer its passkeys. */
  requestOptions(challenge: string, allow: StoredCredential[]): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return generateAuthenticationOptions({
      rpID: this.settings.rpId, challenge: new Uint8Array(Buffer.from(challenge, 'base64url')), timeout: this.timeoutMs,
      userVerification: 'required', allowCredentials: allow.map((credential) => ({ id: credential.credentialId, transports: credential.transports })),
    });
  }

  /** Verifies an attestation (origin, RP ID, UV, challenge); throws CeremonyRefused. */
  async verifyRegistration(response: RegistrationResponseJSON, takeChallenge: (challenge: string) => Promise<boolean>) {
    const challenge = challengeGate(takeChallenge);
    try {
      const result = await verifyRegistrationResponse({
        response, expectedChallenge: challenge.check, expectedOrigin: this.settings.origins, expectedRPID: this.settings.rpId,
        requireUserVerification: true, supportedAlgorithmIDs: ALGORITHMS,
      });
      if (!result.verified) throw new CeremonyRefused('signature', 'the attestation does not verify');
      return result.registrationInfo;
    } catch (error) {
      throw refusalOf(error, challenge.refused);
    }
  }

  /**
   * Verifies an assertion of `stored` (origin, RP ID, UV, challenge, signature) and answers the authenticator's new
   * signature counter. The counter is compared by the caller, which decides what a counter gone backwards means.
   */
  async verifyAssertion(response: AuthenticationResponseJSON, stored: StoredCredential, takeChallenge: (challenge: string) => Promise<boolean>): Promise<number> {
    const challenge = challengeGate(takeChallenge);
    try {
      const result = await verifyAuthenticationResponse({
        response, expectedChallenge: challenge.check, expectedOrigin: this.settings.origins, expectedRPID: this.settings.rpId,
        // Counter 0 here: the library would only throw; the service compares it itself to disable the credential.
        credential: { id: stored.credentialId, publicKey: new Uint8Array(Buffer.from(stored.publicKey, 'base64url')), counter: 0, transports: stored.transports },
        requireUserVerification: true,
      });
      if (!result.verified) throw new CeremonyRefused('signature', 'the assertion\'s signature does not verify');
      return result.authenticationInfo.newCounter;
    } catch (error) {
      throw refusalOf(error, challenge.refused);
    }
  }
}

/** Wraps the challenge check so a refusal by it is told apart from the library's other errors. */
function challengeGate(take: (challenge: string) => Promise<boolean>) {
  const gate = {
    refused: false,
    check: async (challenge: string) => {
      const taken = await take(challenge);
      gate.refused = !taken;
      return taken;
    },
  };
  return gate;
}

/** The library's errors are plain `Error`s with messages; this names the rule that failed. */
function refusalOf(error: unknown, challengeRefused: boolean): CeremonyRefused {
  if (error instanceof CeremonyRefused) return error;
  if (challengeRefused) return new CeremonyRefused('challenge', 'the challenge is unknown, was used before, or expired: ask for new options');
  const message = error instanceof Error ? error.message : String(error);
  if (/origin/i.test(message)) return new CeremonyRefused('origin', `the page's origin is not one of this server's (mfa.webauthn.origins): ${message}`);
  if (/RP ID/i.test(message)) return new CeremonyRefused('rp-id', `the RP ID is not this server's (mfa.webauthn.rpId): ${message}`);
  if (/user verification|could not be verified/i.test(message)) return new CeremonyRefused('user-verification', 'the authenticator did not verify the user (user verification is required)');
  if (/signature/i.test(message)) return new CeremonyRefused('signature', 'the signature does not verify');
  return new CeremonyRefused('malformed', `the credential cannot be read: ${message}`);
}
