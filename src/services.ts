import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { AccountAdminService } from './accounts/account-admin.service.js';
import { AccountService, type StepUpGate } from './accounts/account.service.js';
import { ProfileCache } from './accounts/profile-cache.js';
import { EmailChangeService } from './email-change/email-change.service.js';
import { OneTimeTokens } from './accounts/one-time-tokens.js';
import { PasswordResetService } from './password-reset/password-reset.service.js';
import { AuditLog } from './audit/audit-log.js';
import { Metrics } from './metrics/metrics.js';
import { clientDirectory, type ClientDirectory } from './clients/client-directory.js';
import { seedClients } from './clients/client.repository.js';
import { ClientService } from './clients/client.service.js';
import { InviteService } from './invites/invite.service.js';
import { GroupService } from './permissions/group.service.js';
import type { Clock, RandomSource } from './clock.js';
import type { Config } from './config/index.js';
import { migrateToLatest, type Database } from './db/database.js';
import type { DB } from './db/types.js';
import type { Mailer } from './email/mailer.js';
import { createPasswordHasher, type PasswordHasher } from './passwords/hasher.js';
import { Lockout } from './passwords/lockout.js';
import { compilePolicy } from './passwords/policy.js';
import { openClusterBus, type ClusterBus } from './cluster/bus.js';
import { SessionService } from './sessions/session.service.js';
import { AccessTokens } from './tokens/access-tokens.js';
import { RefreshTokens } from './tokens/refresh-tokens.js';
import { KeyStore } from './tokens/key-store.js';
import { AccountRoles } from './sign-in/account-roles.js';
import { Authenticator } from './sign-in/credentials.js';
import { LoginService } from './sign-in/login.service.js';
import { SignIn } from './sign-in/pipeline.js';
import { TokenIssuer } from './sign-in/token-issuer.js';
import { PendingSignIns } from './mfa/pending-sign-ins.js';
import { RecoveryCodes } from './mfa/recovery-codes.service.js';
import { SecondFactors } from './mfa/second-factors.js';
import { TotpService } from './mfa/totp.service.js';
import { Passkeys } from './mfa/passkeys.service.js';
import { WebauthnChallenges } from './mfa/webauthn-challenges.js';

/** Everything the routes call, built once per app from the configuration. */
export interface Services {
  config: Config;
  database: Database;
  clock: Clock;
  random: RandomSource;
  hasher: PasswordHasher;
  keys: KeyStore;
  /** Revocations and key rotations, to and from the other nodes; closed with the app. */
  bus: ClusterBus;
  sessions: SessionService;
  /** Who-is-calling fields of accounts, cached per node. */
  profiles: ProfileCache;
  accessTokens: AccessTokens;
  refreshTokens: RefreshTokens;
  accounts: AccountService;
  /** Administrators' side of accounts: lists, changes, deletion, API keys (`/accounts`, `gatehouse apikey create`). */
  accountAdmin: AccountAdminService;
  /** Groups, their permissions and members (`/groups`). */
  groups: GroupService;
  /** Client registration (`/clients`). */
  clientAdmin: ClientService;
  /** Invitation codes for sign-up (`/invites`). */
  invites: InviteService;
  logins: LoginService;
  /** The one sign-in pipeline every way in runs (sign-in/pipeline.ts). */
  signIn: SignIn;
  lockout: Lockout;
  authenticator: Authenticator;
  audit: AuditLog;
  /** Registered clients as the sign-in ways, hosted pages and logout ask about them. */
  clients: ClientDirectory;
  /** A random key shared by the cluster, for values the server derives and later checks (HMACs). */
  serverKey: string;
  mailer: Mailer;
  emailChanges: EmailChangeService;
  passwordResets: PasswordResetService;
  /** Second factors: TOTP, recovery codes, pending second steps (mfa/). */
  mfa: MfaServices;
  metrics: Metrics;
  /** Set when the node is shutting down: `/readyz` fails so balancers stop sending, while requests are still served. */
  lifecycle: { draining: boolean };
}

/** What the composition root receives from outside (tests swap every part). */
export interface ServiceDeps {
  database: Database;
  clock: Clock;
  random: RandomSource;
  mailer: Mailer;
  logError: (error: unknown, message: string) => void;
}

/**
 * The composition root: migrates, loads keys, seeds built-ins, and wires services together.
 * Nothing here is global, so two apps (two "nodes") can run in one test process.
 */
export async function createServices(config: Config, deps: ServiceDeps): Promise<Services> {
  const { database, logError } = deps;
  await migrateToLatest(database.db);
  const bus = openClusterBus(config, database.dialect, (error) => logError(error, 'cluster broadcast'));
  try {
    const services = await wireServices(config, deps, bus);
    await bus.subscribe({
      revoked: (ids) => services.sessions.forgetRevoked(ids),
      keysRotated: () => void services.keys.reload().catch((error) => logError(error, 'signing key reload')),
      accountsChanged: (ids) => services.profiles.forget(ids),
      gap: () => {
        services.sessions.forgetAllLive();
        services.profiles.forget('all');
        void services.keys.reload().catch((error) => logError(error, 'signing key reload'));
      },
    });
    return services;
  } catch (error) {
    // A half-built node must not keep a listener connection (and so the process) alive.
    await bus.close().catch(() => undefined);
    throw error;
  }
}

async function wireServices(config: Config, deps: ServiceDeps, bus: ClusterBus): Promise<Services> {
  const { database, clock, random, mailer, logError } = deps;
  const db = database.db;
  const keys = await KeyStore.open(db, { algorithm: config.tokens.algorithm, hmacSecret: config.tokens.hmacSecret, clock });
  const serverKey = await serverSecret(db, 'refresh-successor', clock.now());
  const metrics = new Metrics();
  const audit = new AuditLog(db, clock, (error) => logError(error, 'audit write failed'), metrics);
  const hasher = createPasswordHasher({ ...config.password.hash });
  const sessions = new SessionService(db, clock, random, bus);
  const profiles = new ProfileCache(db, clock, bus);
  const accessTokens = new AccessTokens(keys, { issuer: config.tokens.issuer, ttlMs: config.tokens.accessTokenTtl, clock, random, metrics });
  const refreshTokens = new RefreshTokens(db, { serverKey, reuseIntervalMs: config.tokens.refreshReuseInterval, clock, random, dialect: database.dialect });
  const oneTimeTokens = new OneTimeTokens(db, clock, random);
  // Step-up is the second factors' (built below, as they check passwords with the account service): asked late.
  const stepUp: StepUpGate = { hasFactor: (id) => mfa.factors.hasFactor(id), assertStepUp: (id, proof) => mfa.factors.assertStepUp(id, proof) };
  const accounts = new AccountService({
    db, config, clock, random, hasher, checkPolicy: compilePolicy(config.password.policy),
    tokens: oneTimeTokens, mailer, sessions, profiles, audit, logError, stepUp,
  });
  const emailChanges = new EmailChangeService({ db, config, clock, tokens: oneTimeTokens, mailer, sessions, audit, logError, stepUp });
  const passwordResets = new PasswordResetService({ db, config, tokens: oneTimeTokens, mailer, audit, accounts });
  const lockout = new Lockout(db, clock, config.lockout);
  const roles = new AccountRoles(db);
  const issuer = new TokenIssuer({ db, config, clock, random, accessTokens, roles });
  const mfa = secondFactors({ db, config, clock, random, serverKey, audit, accounts, lockout });
  const signIn = new SignIn({ db, config, clock, random, hasher, accounts, sessions, refreshTokens, audit, lockout, roles, issuer, mfa: mfa.factors });
  const logins = new LoginService({ db, config, random, accounts, sessions, refreshTokens, audit, roles, issuer, signIn });
  await accounts.bootstrapAdmin();
  await seedClients(db, config.clients, clock.now());
  const authenticator = new Authenticator({ config, accessTokens, sessions, logins, signIn, serverKey });
  const admin = {
    accountAdmin: new AccountAdminService({ db, config, clock, random, accounts, sessions, accessTokens, audit, stepUp }),
    groups: new GroupService(db, clock, random, audit, accounts),
    clientAdmin: new ClientService({ db, clock, random, audit }),
    invites: new InviteService({ db, clock, random, audit }),
  };
  return { config, database, clock, random, hasher, keys, bus, sessions, profiles, accessTokens, refreshTokens, accounts, ...admin, logins, signIn, lockout, authenticator, audit, clients: clientDirectory(db), serverKey, mailer, emailChanges, passwordResets, mfa, metrics, lifecycle: { draining: false } };
}

/** The second-factor services, built together: each needs the one before it. */
interface MfaServices {
  totp: TotpService;
  recoveryCodes: RecoveryCodes;
  passkeys: Passkeys;
  factors: SecondFactors;
}

function secondFactors(deps: { db: Kysely<DB>; config: Config; clock: Clock; random: RandomSource; serverKey: string; audit: AuditLog; accounts: AccountService; lockout: Lockout }): MfaServices {
  const { db, config, clock, random, serverKey, audit, accounts, lockout } = deps;
  const recoveryCodes = new RecoveryCodes({ db, clock, random, serverKey, audit });
  const totp = new TotpService({ db, clock, random, serverKey, issuer: config.mfa.totp.issuer, audit, recoveryCodes });
  const pending = new PendingSignIns(db, clock, random, config.mfa.challengeTtl);
  const challenges = new WebauthnChallenges(db, clock, random, config.mfa.challengeTtl);
  const passkeys = new Passkeys({ db, config, clock, random, audit, recoveryCodes, challenges });
  return { totp, recoveryCodes, passkeys, factors: new SecondFactors({ db, config, totp, recoveryCodes, passkeys, pending, accounts, lockout, audit }) };
}

/** A random server-side key, created once per cluster and shared through the database. */
async function serverSecret(db: Kysely<DB>, name: string, now: number): Promise<string> {
  await db
    .insertInto('server_secrets')
    .values({ name, value: randomBytes(32).toString('base64url'), created_at: now })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db.selectFrom('server_secrets').select('value').where('name', '=', name).executeTakeFirstOrThrow();
  return row.value;
}
