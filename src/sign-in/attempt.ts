import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { Kysely } from 'kysely';
import type { AccountService } from '../accounts/account.service.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Client } from '../clients/client.repository.js';
import type { Delivery } from '../clients/token-delivery.js';
import type { Clock, RandomSource } from '../clock.js';
import type { Config } from '../config/index.js';
import type { AccountRow, DB } from '../db/types.js';
import type { PasswordHasher } from '../passwords/hasher.js';
import type { PendingSignIn } from '../mfa/pending-sign-ins.js';
import type { FactorAnswer, SecondFactors } from '../mfa/second-factors.js';
import type { Lockout } from '../passwords/lockout.js';
import type { ClientInfo, LoginMethod, SessionService } from '../sessions/session.service.js';
import type { RefreshTokens } from '../tokens/refresh-tokens.js';
import type { AccountRoles } from './account-roles.js';
import type { OAuthToken, TokenIssuer } from './token-issuer.js';

/** How the person proves who they are: what step 3 (verify the proof) checks. */
export type Proof =
  /** A login name (user name or e-mail) and a password: API login, cookie, HTTP Basic, hosted login, account page. */
  | { kind: 'password'; login: string; password: string }
  /** An identity a provider vouched for (OIDC, Google, Facebook, SAML, CAS), turned into its account by `resolve`. */
  | { kind: 'identity'; strategy: string; resolve: () => Promise<AccountRow> }
  /** An account made by this very attempt: the hosted registration (strategy `password`) or a guest (none). */
  | { kind: 'new-account'; strategy: 'password' | null; create: () => Promise<AccountRow> }
  /** A passkey's assertion alone (passwordless, CONTRACT §5): user verification makes it a multi-factor login. */
  | { kind: 'passkey'; credential: AuthenticationResponseJSON }
  /** The second step of a sign-in that stopped at `mfa-required`: its pending sign-in and a code or passkey assertion. */
  | ({ kind: 'second-factor'; pending: PendingSignIn } & FactorAnswer);

/** Which session the sign-in starts (step 5), and so what it hands over (step 6). */
export type SessionPlan =
  /** An OAuthToken with a refresh token (`POST /api/auth/login`, `POST /api/auth/guest`). */
  | { kind: 'token'; method: LoginMethod; clientId?: string | undefined; scope?: string | undefined }
  /**
   * An access token for a registered client, in a session that lasts as long as the token (seed 000's hosted pages,
   * provider flows a client started) — or, signing in for one of the OpenID provider's interactions (`interaction`:
   * its uid), a browser session (the auth cookie) that the interaction then hands to the provider, recorded with
   * `method` (a provider login's or a passkey's own; else `password`). `stepUp` (with `interaction`): no new session — the second
   * factor raises the browser's Gatehouse session of that id (oidc-provider/acr.ts), whose cookie stays.
   */
  | { kind: 'client'; client: Client; interaction?: string | undefined; method?: LoginMethod | undefined; stepUp?: string | undefined }
  /** The auth cookie (`POST /auth/cookie`, the account page, provider flows without a client). */
  | { kind: 'cookie'; method: LoginMethod; maxAgeSeconds: number; secondStepPath?: string | undefined }
  /** HTTP Basic: the credential itself is sent again with every request; the session only stands for it. */
  | { kind: 'basic' };

/** One attempt to sign in, whichever way in it came through. */
export interface SignInAttempt<P extends SessionPlan = SessionPlan> {
  proof: Proof;
  plan: P;
  /** The registered client this way in serves, whose `disableStrategies` apply (hosted pages, provider flows). */
  client?: Client | null;
  info: ClientInfo;
}

/** What a started session hands over, by plan. */
export type Handover =
  | { kind: 'token'; token: OAuthToken }
  | { kind: 'client'; client: Client; delivery: Delivery }
  | { kind: 'client'; client: Client; interaction: InteractionReturn }
  | { kind: 'cookie'; credential: string; maxAgeSeconds: number }
  | { kind: 'basic' };

/** A sign-in for an OpenID interaction: the browser session's cookie credential, and the interaction to go back to. */
export interface InteractionReturn {
  uid: string;
  /** Unset for a step-up: the browser keeps the cookie of the session it raised. */
  credential?: string | undefined;
  maxAgeSeconds: number;
}

/** The handover a plan yields, so each caller gets its own kind without a check. */
export type HandoverOf<P extends SessionPlan> = Extract<Handover, { kind: P['kind'] }>;

/** A finished sign-in: who, which session, and what to hand over. */
export interface SignedIn<H extends Handover = Handover> {
  account: AccountRow;
  sessionId: string;
  expiresAt: number | null;
  handover: H;
}

/** The session step 5 started. */
export interface StartedSession {
  id: string;
  expiresAt: number | null;
  /** The method recorded in the audit log (seed 000's client sessions record `password`). */
  method: LoginMethod;
  /** A token session's first refresh token. */
  refreshToken?: string;
  /** A cookie session's `id.secret`. */
  credential?: string;
  /** A step-up raised this existing session instead of starting one. */
  raised?: boolean;
}

/** What the steps may use. */
export interface SignInDeps {
  db: Kysely<DB>;
  config: Config;
  clock: Clock;
  random: RandomSource;
  hasher: PasswordHasher;
  accounts: AccountService;
  sessions: SessionService;
  refreshTokens: RefreshTokens;
  audit: AuditLog;
  lockout: Lockout;
  roles: AccountRoles;
  issuer: TokenIssuer;
  mfa: SecondFactors;
}

/** The attempt as the steps fill it in, one after the other. */
export interface SignInContext {
  readonly attempt: SignInAttempt;
  /** The account named by a password (undefined: unknown) or, after step 3, the proven one. */
  account?: AccountRow | undefined;
  /** The lockout counter this attempt is checked against, when lockout guards it. */
  lock?: { key: string; guarded: boolean };
  /** How the person proved who they are (RFC 8176), recorded on the session. */
  amr?: string[];
  session?: StartedSession;
  handover?: Handover;
}

/** One step of the pipeline: one check (or one action), throwing an AppError to stop the sign-in. */
export type Step = (deps: SignInDeps, context: SignInContext) => Promise<void> | void;

/** The account of a context past step 3; a step after it that finds none is a programming error. */
export function provenAccount(context: SignInContext): AccountRow {
  if (!context.account) throw new Error('sign-in step ran before the proof was verified');
  return context.account;
}
