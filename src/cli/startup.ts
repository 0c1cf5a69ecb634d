/**
 * The start-up summary `serve` logs once it listens: what it connected to and what it did (issue 16 item 6).
 * Why: "which database, where does mail go, can the admin log in" were each a separate hunt through the config.
 */
import type { AdminPasswordState } from '../accounts/admin-password.js';
import { maskUrlPassword, type Config } from '../config/index.js';
import type { DialectName } from '../db/database.js';

/** What the start-up found; why structured: log pipelines can alert on `startup.admin.state` without parsing text. */
export interface StartupSummary {
  database: { url: string; dialect: DialectName; migrationsApplied: string[] };
  mail: { transport: 'smtp'; host: string } | { transport: 'outbox'; dir: string };
  /** `state` is what login meets; `stored` is the account's own password (none when an override is what counts). */
  admin: { username: string; state: AdminState; stored: AdminPasswordState };
  providers: string[];
  baseUrl: string;
  clusterBus: 'redis' | 'postgres-notify' | 'none';
}

/** The admin as the summary reports it: the stored password's state, or why that is not what login uses. */
export type AdminState = AdminPasswordState | 'override-active' | 'override-ignored';

/** The admin's state before and after this start's bootstrap; why both: only `before` tells an ignored variable. */
export interface AdminStates {
  before: AdminPasswordState;
  after: AdminPasswordState;
}

/** Builds the summary from the configuration and what the start-up found; pure, so tests need no server. */
export function startupSummary(config: Config, dialect: DialectName, migrationsApplied: string[], admin: AdminStates): StartupSummary {
  return {
    database: { url: maskUrlPassword(config.database.url), dialect, migrationsApplied },
    mail: config.email.smtpUrl ? { transport: 'smtp', host: smtpHost(config.email.smtpUrl) } : { transport: 'outbox', dir: config.email.outboxDir },
    admin: { username: config.admin.username, state: adminState(config, admin), stored: admin.after },
    providers: enabledProviders(config),
    baseUrl: config.server.baseUrl,
    clusterBus: config.redis.url ? 'redis' : dialect === 'postgres' ? 'postgres-notify' : 'none',
  };
}

/** `passwordOverride` wins at login (seed 004); a GATEHOUSE_ADMIN_PASSWORD given after the first start is ignored. */
function adminState(config: Config, admin: AdminStates): AdminState {
  if (config.admin.passwordOverride !== null) return 'override-active';
  if (config.admin.initialPassword !== null && admin.before !== 'missing') return 'override-ignored';
  return admin.after;
}

/** host:port of the SMTP URL, never its credentials. */
function smtpHost(smtpUrl: string): string {
  const url = new URL(smtpUrl);
  return url.port ? `${url.hostname}:${url.port}` : url.hostname;
}

/** Every way in that is configured, as client `disableStrategies` names them. */
function enabledProviders(config: Config): string[] {
  const { password, providers, saml, cas } = config;
  return [
    ...(password.login === 'off' ? [] : [password.login === 'whitelist' ? 'password (whitelist)' : 'password']),
    ...(providers.google ? ['google'] : []),
    ...(providers.facebook ? ['facebook'] : []),
    ...providers.oidc.map((provider) => `oidc:${provider.id}`),
    ...(saml.enabled ? ['saml'] : []),
    ...(cas.enabled ? ['cas'] : []),
  ];
}

const ADMIN_TEXT: Record<AdminState, string> = {
  missing: 'not created',
  'no-password': 'has no password and cannot log in (`gatehouse admin set-password` sets one)',
  password: 'has a password',
  'override-active': 'admin.passwordOverride is active (it replaces the stored password at login)',
  'override-ignored': 'exists, so GATEHOUSE_ADMIN_PASSWORD was ignored',
};

const BUS_TEXT: Record<StartupSummary['clusterBus'], string> = {
  redis: 'Redis',
  'postgres-notify': 'PostgreSQL NOTIFY',
  none: 'none (one node)',
};

/** The summary as one line for a person reading the log; why: JSON fields alone are hard to read at a terminal. */
export function describeStartup(summary: StartupSummary): string {
  const { database, mail, admin } = summary;
  const migrations = database.migrationsApplied.length ? `${database.migrationsApplied.length} migrations applied` : 'schema up to date';
  return [
    `database ${database.url} (${database.dialect}, ${migrations})`,
    mail.transport === 'smtp' ? `mail via SMTP ${mail.host}` : `mail to the outbox ${mail.dir} (no SMTP configured)`,
    `admin "${admin.username}" ${ADMIN_TEXT[admin.state]}${admin.state === 'override-ignored' ? ` (${admin.stored === 'password' ? 'it has a password' : 'it has no password'})` : ''}`,
    `sign-in: ${summary.providers.join(', ') || 'none'}`,
    `base URL ${summary.baseUrl}`,
    `cluster bus: ${BUS_TEXT[summary.clusterBus]}`,
  ].join('; ');
}
