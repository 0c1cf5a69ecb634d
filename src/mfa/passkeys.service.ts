import type { AuthenticationResponseJSON, AuthenticatorTransportFuture, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock, RandomSource } from '../clock.js';
import type { Config } from '../config/index.js';
import { isUniqueViolation } from '../db/errors.js';
import type { DB } from '../db/types.js';
import { AppError, invalidField } from '../http/errors.js';
import {
  deletePasskey, disablePasskey, enabledPasskeyCount, findPasskeyByCredentialId, insertPasskey, passkeysOf, recordPasskeyUse, renamePasskey,
  type PasskeyRow,
} from './passkey.repository.js';
import { assertMayHoldFactor } from './factor-holders.js';
import type { RecoveryCodes } from './recovery-codes.service.js';
import { CeremonyRefused, RelyingParty, type StoredCredential } from './webauthn.js';
import type { WebauthnChallenges } from './webauthn-challenges.js';

/** A passkey as its owner sees it (`GET /api/auth/passkeys`). */
export interface PasskeyView {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  disabled: boolean;
}

/** The ceremonies an assertion answers: a passwordless login, a sign-in's second step, a signed-in person's step-up. */
export type AssertionPurpose = 'login' | 'second-step' | 'step-up';

/** What a passkey login, second step or step-up asks of an assertion. */
export interface AssertionCheck {
  /** `login`: passwordless, any account's passkey; `second-step` and `step-up`: only a passkey of `accountId`. */
  purpose: AssertionPurpose;
  accountId: string | null;
  inetAddress: string | null;
}

/** A checked assertion: whose passkey signed, or why it was refused (and whose it was, when known). */
export type AssertionOutcome =
  | { ok: true; accountId: string; passkeyId: string }
  | { ok: false; reason: string; message: string; accountId: string | null };

export interface PasskeyDeps {
  db: Kysely<DB>;
  config: Config;
  clock: Clock;
  random: RandomSource;
  audit: AuditLog;
  recoveryCodes: RecoveryCodes;
  challenges: WebauthnChallenges;
}

/**
 * Passkeys (CONTRACT §5): registration, listing, renaming, removal, and checking an assertion for a passwordless
 * login or a second step. Refusals are audited with their reason; a signature counter that went backwards disables
 * the credential (it may have been cloned). Why a class: the routes, the sign-in pipeline and SecondFactors share it.
 */
export class Passkeys {
  private readonly rp: RelyingParty;

  constructor(private readonly deps: PasskeyDeps) {
    this.rp = new RelyingParty(deps.config.mfa.webauthn, deps.config.mfa.challengeTtl);
  }

  /** `mfa.webauthn.enabled`. */
  get enabled(): boolean {
    return this.deps.config.mfa.webauthn.enabled;
  }

  /** Creation options for a new passkey of a person's account; its existing ones are excluded (no second copy). */
  async creationOptions(account: { id: string; username: string }): Promise<PublicKeyCredentialCreationOptionsJSON> {
    await assertMayHoldFactor(this.deps.db, account.id, 'a passkey');
    const challenge = await this.deps.challenges.issue('register', account.id);
    const exclude = (await passkeysOf(this.deps.db, account.id)).map(storedCredential);
    return this.rp.creationOptions({ accountId: account.id, userName: account.username, challenge, exclude });
  }

  /**
   * Verifies and stores a new passkey. The first factor an account gets brings recovery codes (shown once, in the
   * answer); an account that has codes keeps them. Bad credentials are `invalid-request` naming `credential`.
   */
  async register(accountId: string, credential: RegistrationResponseJSON, name: string | undefined): Promise<{ passkey: PasskeyView; recoveryCodes?: string[] }> {
    await assertMayHoldFactor(this.deps.db, accountId, 'a passkey');
    let info;
    try {
      info = await this.rp.verifyRegistration(credential, (challenge) => this.deps.challenges.take(challenge, 'register', accountId));
    } catch (error) {
      if (!(error instanceof CeremonyRefused)) throw error;
      await this.deps.audit.record('mfa.failed', { accountId, data: { method: 'webauthn', step: 'register', reason: error.reason } });
      throw invalidField('credential', error.message);
    }
    const existing = await passkeysOf(this.deps.db, accountId);
    const row: PasskeyRow = {
      id: this.deps.random.uuid(), account_id: accountId, credential_id: info.credential.id,
      public_key: Buffer.from(info.credential.publicKey).toString('base64url'), sign_count: info.credential.counter,
      transports: JSON.stringify(info.credential.transports ?? credential.response.transports ?? []),
      name: name ?? `Passkey ${existing.length + 1}`, backed_up: info.credentialBackedUp ? 1 : 0,
      disabled_at: null, created_at: this.deps.clock.now(), last_used_at: null,
    };
    try {
      await insertPasskey(this.deps.db, row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('conflict', 'this passkey is registered already');
      throw error;
    }
    await this.deps.audit.record('mfa.enrolled', { accountId, data: { method: 'webauthn', passkeyId: row.id } });
    const recoveryCodes = (await this.deps.recoveryCodes.left(accountId)) === 0 ? await this.deps.recoveryCodes.regenerate(accountId) : undefined;
    return { passkey: viewOf(row), ...(recoveryCodes ? { recoveryCodes } : {}) };
  }

  /** The account's passkeys. */
  async list(accountId: string): Promise<PasskeyView[]> {
    return (await passkeysOf(this.deps.db, accountId)).map(viewOf);
  }

  /** Renames one of the account's passkeys; another account's id is `not-found`. */
  async rename(accountId: string, id: string, name: string): Promise<PasskeyView> {
    if (!(await renamePasskey(this.deps.db, accountId, id, name))) throw notFound();
    await this.deps.audit.record('mfa.passkey-renamed', { accountId, data: { passkeyId: id } });
    return (await this.list(accountId)).find((passkey) => passkey.id === id)!;
  }

  /** Removes one of the account's passkeys (the caller checked step-up); another account's id is `not-found`. */
  async remove(accountId: string, id: string): Promise<void> {
    if (!(await deletePasskey(this.deps.db, accountId, id))) throw notFound();
    await this.deps.audit.record('mfa.removed', { accountId, data: { method: 'webauthn', passkeyId: id } });
  }

  /** How many passkeys of the account can sign in. */
  enabledCount(accountId: string): Promise<number> {
    return enabledPasskeyCount(this.deps.db, accountId);
  }

  /**
   * Request options: for a passwordless login, an empty allow-list (any passkey of this site may answer); for a
   * second step, the account's usable passkeys (boundOptions).
   */
  async requestOptions(purpose: 'login' | 'second-step', accountId: string | null): Promise<PublicKeyCredentialRequestOptionsJSON> {
    if (purpose === 'login' || accountId === null) return this.rp.requestOptions(await this.deps.challenges.issue('login', null), []);
    return this.boundOptions('second-step', accountId);
  }

  /** Request options for step-up: a challenge bound to the account and to step-up, allowing only its usable passkeys. */
  stepUpOptions(accountId: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return this.boundOptions('step-up', accountId);
  }

  /**
   * Options whose challenge is bound to the account and the purpose, allowing only its usable passkeys. `conflict`
   * when it has none: an empty allow-list would let the browser offer any passkey of this site.
   */
  private async boundOptions(purpose: 'second-step' | 'step-up', accountId: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const allow = await this.usableCredentials(accountId);
    if (allow.length === 0) throw new AppError('conflict', 'this account has no passkey to confirm with: use the password or a code');
    return this.rp.requestOptions(await this.deps.challenges.issue(purpose, accountId), allow);
  }

  private async usableCredentials(accountId: string): Promise<StoredCredential[]> {
    return (await passkeysOf(this.deps.db, accountId)).filter((row) => row.disabled_at === null).map(storedCredential);
  }

  /** The account whose passkey made the credential, before anything is verified (for the lockout check); or undefined. */
  async accountOf(credential: AuthenticationResponseJSON): Promise<string | undefined> {
    return (await findPasskeyByCredentialId(this.deps.db, credential.id))?.account_id;
  }

  /** Checks an assertion; refusals are audited (`mfa.passkey-refused`) and answered with their reason, never thrown. */
  async verifyAssertion(credential: AuthenticationResponseJSON, check: AssertionCheck): Promise<AssertionOutcome> {
    const row = await findPasskeyByCredentialId(this.deps.db, credential.id);
    try {
      if (!row) throw new CeremonyRefused('unknown-credential', 'this passkey is not registered here');
      await this.verifyAgainst(row, credential, check);
      return { ok: true, accountId: row.account_id, passkeyId: row.id };
    } catch (error) {
      if (!(error instanceof CeremonyRefused)) throw error;
      const accountId = row?.account_id ?? null;
      await this.deps.audit.record('mfa.passkey-refused', { accountId, inetAddress: check.inetAddress, data: { reason: error.reason, purpose: check.purpose, passkeyId: row?.id } });
      return { ok: false, reason: error.reason, message: error.message, accountId };
    }
  }

  private async verifyAgainst(row: PasskeyRow, credential: AuthenticationResponseJSON, check: AssertionCheck): Promise<void> {
    if (row.disabled_at !== null) throw new CeremonyRefused('disabled', 'this passkey was disabled (its signature counter went backwards); remove it and register it again');
    if (check.accountId !== null && row.account_id !== check.accountId) throw new CeremonyRefused('other-account', 'this passkey belongs to another account');
    const { userHandle } = credential.response;
    if (userHandle && userHandle !== Buffer.from(row.account_id, 'utf8').toString('base64url')) throw new CeremonyRefused('user-handle', 'the user handle is not this passkey\'s account');
    const challengeAccount = check.purpose === 'login' ? null : row.account_id;
    const counter = await this.rp.verifyAssertion(credential, storedCredential(row), (challenge) => this.deps.challenges.take(challenge, check.purpose, challengeAccount));
    // WebAuthn §6.1.1: a counter that does not grow (when either is non-zero) hints at a cloned authenticator.
    if ((counter > 0 || row.sign_count > 0) && counter <= row.sign_count) await this.refuseCounter(row, counter, check);
    if (!(await recordPasskeyUse(this.deps.db, row.id, counter, this.deps.clock.now()))) {
      throw new CeremonyRefused('counter', 'another sign-in with this passkey counted past this one; try again');
    }
  }

  private async refuseCounter(row: PasskeyRow, counter: number, check: AssertionCheck): Promise<never> {
    if (await disablePasskey(this.deps.db, row.id, this.deps.clock.now())) {
      await this.deps.audit.record('mfa.passkey-disabled', { accountId: row.account_id, inetAddress: check.inetAddress, data: { passkeyId: row.id, storedCount: row.sign_count, presentedCount: counter } });
    }
    throw new CeremonyRefused('counter', 'the signature counter went backwards: this passkey may have been cloned and is now disabled');
  }
}

function storedCredential(row: PasskeyRow): StoredCredential {
  return { credentialId: row.credential_id, publicKey: row.public_key, transports: JSON.parse(row.transports) as AuthenticatorTransportFuture[] };
}

function viewOf(row: PasskeyRow): PasskeyView {
  return {
    id: row.id, name: row.name, createdAt: new Date(row.created_at).toISOString(),
    lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at).toISOString(), disabled: row.disabled_at !== null,
  };
}

const notFound = () => new AppError('not-found', 'this account has no passkey with that id');
