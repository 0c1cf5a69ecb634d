import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/*
 * Column conventions, identical on SQLite and PostgreSQL so one query code serves both:
 * timestamps are epoch milliseconds (bigint), booleans are 0/1 integers, lists are JSON text.
 */

export interface AccountTable {
  id: string;
  username: string;
  /** Lower-cased username: the unique lookup key (login names are case-insensitive). */
  username_key: string;
  email: string | null;
  email_key: string | null;
  pending_email: string | null;
  type: 'user' | 'guest' | 'apikey';
  confirmed: number;
  language: string | null;
  created_at: number;
  last_login_at: number | null;
}

export interface CredentialTable {
  id: string;
  account_id: string;
  /** `password`, or a provider name whose subject is in external_id. */
  type: string;
  secret_hash: string | null;
  external_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface SessionTable {
  id: string;
  account_id: string;
  method: string;
  client_id: string | null;
  scope: string | null;
  /** SHA-256 of the secret half of a cookie / API-key credential (`id.secret`), when the session has one. */
  secret_hash: string | null;
  login_time: number;
  /** null: never expires (guest sessions, seed 003). */
  expires_at: number | null;
  last_access: number;
  inet_address: string | null;
  user_agent: string | null;
  revoked_at: number | null;
  /** How the session was authenticated (RFC 8176 `amr` values, space separated); null before migration 2026_12_06_0004. */
  amr: string | null;
}

export interface RefreshTokenTable {
  id: string;
  session_id: string;
  secret_hash: string;
  created_at: number;
  expires_at: number | null;
  rotated_at: number | null;
}

export interface OneTimeTokenTable {
  /** SHA-256 of the token: the token itself is only ever in the e-mail. */
  token_hash: string;
  kind: 'confirm' | 'reset' | 'email-change' | 'email-revert';
  account_id: string;
  data: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface SigningKeyTable {
  kid: string;
  algorithm: string;
  private_jwk: string;
  public_jwk: string;
  created_at: number;
  /** Set when a newer key took over signing; the key keeps verifying until its tokens expire. */
  retired_at: number | null;
}

export interface ServerSecretTable {
  name: string;
  value: string;
  created_at: number;
}

export interface GroupTable {
  id: string;
  name: string;
  builtin: number;
  created_at: number;
}

export interface MembershipTable {
  group_id: string;
  account_id: string;
}

export interface PermissionTable {
  subject_type: 'account' | 'group';
  subject_id: string;
  permission: string;
}

export interface ClientTable {
  client_id: string;
  callback_url: string;
  config: string;
  created_at: number;
  /** Display name on the hosted pages; null = none given. */
  name: string | null;
  /** The OIDC fields as JSON (clients/oidc-fields.ts); null: not an OpenID client. */
  oidc: string | null;
  /** SHA-256 (base64url) of the generated client secret; null: none (a public client, or none made yet). */
  secret_hash: string | null;
  secret_created_at: number | null;
}

/** One stored instance of an oidc-provider model (oidc-provider/adapter.ts). */
export interface OidcRecordTable {
  model: string;
  id: string;
  /** The model's payload as JSON. */
  payload: string;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  /** The Gatehouse session this record was made in; ending it ends the record. */
  session_id: string | null;
  expires_at: number | null;
}

export interface InviteTable {
  id: string;
  code_hash: string;
  created_at: number;
  created_by: string | null;
  used_at: number | null;
  used_by: string | null;
}

export interface AuditEventTable {
  id: Generated<number>;
  at: number;
  type: string;
  account_id: string | null;
  session_id: string | null;
  login_name: string | null;
  inet_address: string | null;
  data: string | null;
}

export interface LoginAttemptTable {
  /** `account:<id>` for an existing account (whichever name was typed), else `name:<lower-cased login>`. */
  login_key: string;
  /** Attempts counted since the last success, including ones still being checked. */
  failures: number;
  locked_until: number | null;
  updated_at: number;
}

export interface UsedCredentialTable {
  /** `saml <issuer> <assertion id>` or `cas <ticket>`. */
  key: string;
  expires_at: number;
}

/** An opaque access reference handed to clients instead of the JWT (`tokens.clientFormat: opaque`). */
export interface OpaqueTokenTable {
  /** SHA-256 (base64url) of the whole reference. */
  hash: string;
  session_id: string;
  account_id: string;
  expires_at: number;
}

/** One claimed run of a scheduled job (`slot`: the scheduled time, epoch ms, to the second). */
export interface JobRunTable {
  job: string;
  slot: number;
  started_at: number;
}

/** A SAML AuthnRequest waiting for its Response, found again by the SHA-256 of its RelayState. */
export interface SamlRequestTable {
  relay_hash: string;
  request_id: string;
  client_id: string | null;
  /** The OpenID interaction the client's hosted login ran for, if any (migration 2026_12_06_0007). */
  interaction: string | null;
  /** Where the browser lands when no client started the flow; null: `saml.redirectSuccessUrl`. */
  target: string | null;
  /** SHA-256 of the browser-binding nonce (cookie `gh_saml`) of the browser that started the login. */
  binding_hash: string;
  expires_at: number;
}

/** A validated SAML Response waiting for the browser that started the login, found by the SHA-256 of its code. */
export interface SamlCompletionTable {
  code_hash: string;
  /** SHA-256 of the browser-binding nonce: only the browser holding it may redeem the code. */
  binding_hash: string;
  /** The verified identity (JSON of `VerifiedIdentity`). */
  identity: string;
  client_id: string | null;
  /** The OpenID interaction the login goes back to, if any (migration 2026_12_06_0007). */
  interaction: string | null;
  target: string | null;
  expires_at: number;
}

/** One row rewritten by `/readyz` to prove the database takes writes (db/write-probe.ts). */
export interface ReadinessProbeTable {
  id: number;
  probed_at: number;
}

/** An account's TOTP secret (CONTRACT §5): active once `confirmed_at` is set. */
export interface MfaTotpTable {
  account_id: string;
  /** The base32 secret sealed by mfa/secret-box.ts (AES-256-GCM). */
  secret_box: string;
  confirmed_at: number | null;
  /** The RFC 6238 time step of the last code accepted: a code of this step or an older one is refused (replay). */
  last_step: number | null;
  created_at: number;
}

/** One recovery code, as an HMAC under the server key; spent when `used_at` is set. */
export interface MfaRecoveryCodeTable {
  code_hash: string;
  account_id: string;
  used_at: number | null;
  created_at: number;
}

/** A WebAuthn credential (passkey) of an account. */
export interface PasskeyTable {
  id: string;
  account_id: string;
  /** The credential ID, base64url, as the authenticator reports it. */
  credential_id: string;
  /** COSE public key, base64url. */
  public_key: string;
  sign_count: number;
  /** JSON list of the authenticator's transports (hints for the browser). */
  transports: string;
  name: string;
  backed_up: number;
  /** Set when the credential was refused for a signature counter that went backwards (a cloned authenticator). */
  disabled_at: number | null;
  created_at: number;
  last_used_at: number | null;
}

/** A sign-in waiting for its second factor (CONTRACT §5), found by the SHA-256 of its `mfaToken`. */
export interface MfaPendingSignInTable {
  token_hash: string;
  account_id: string;
  /** How the sign-in is finished once the second factor is verified (sign-in/continuation.ts), as JSON. */
  continuation: string;
  /** The RFC 8176 `amr` value of the first factor: `pwd`, or `fed` for a provider login. */
  first_factor: string;
  /** 1: the account must enrol a factor first (`mfa.requiredFor`); the token then also opens the enrolment endpoints. */
  enroll: number;
  /** Wrong codes against this token; past the limit it is spent. */
  failures: number;
  expires_at: number;
  used_at: number | null;
  created_at: number;
}

/** A WebAuthn ceremony's challenge (CONTRACT §5), single use, until `expires_at`. */
export interface WebauthnChallengeTable {
  /** base64url of 32 random bytes, as sent in the options and echoed in the client data. */
  challenge: string;
  /** `register`, `login` (passwordless) or `second-step`: a challenge answers only the ceremony it was made for. */
  purpose: string;
  /** The account a registration or second step is for; null for a passwordless login. */
  account_id: string | null;
  expires_at: number;
  created_at: number;
}

/** The whole schema as Kysely sees it. */
export interface DB {
  accounts: AccountTable;
  credentials: CredentialTable;
  sessions: SessionTable;
  refresh_tokens: RefreshTokenTable;
  one_time_tokens: OneTimeTokenTable;
  signing_keys: SigningKeyTable;
  server_secrets: ServerSecretTable;
  groups: GroupTable;
  memberships: MembershipTable;
  permissions: PermissionTable;
  clients: ClientTable;
  oidc_records: OidcRecordTable;
  invites: InviteTable;
  audit_events: AuditEventTable;
  login_attempts: LoginAttemptTable;
  used_credentials: UsedCredentialTable;
  opaque_tokens: OpaqueTokenTable;
  job_runs: JobRunTable;
  saml_requests: SamlRequestTable;
  readiness_probe: ReadinessProbeTable;
  saml_completions: SamlCompletionTable;
  mfa_totp: MfaTotpTable;
  mfa_recovery_codes: MfaRecoveryCodeTable;
  passkeys: PasskeyTable;
  mfa_pending_sign_ins: MfaPendingSignInTable;
  webauthn_challenges: WebauthnChallengeTable;
}

export type AccountRow = Selectable<AccountTable>;
export type NewAccount = Insertable<AccountTable>;
export type AccountUpdate = Updateable<AccountTable>;
export type SessionRow = Selectable<SessionTable>;
export type RefreshTokenRow = Selectable<RefreshTokenTable>;
export type OneTimeTokenRow = Selectable<OneTimeTokenTable>;
export type SigningKeyRow = Selectable<SigningKeyTable>;
