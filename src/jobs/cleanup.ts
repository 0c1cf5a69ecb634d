import { Cron } from 'croner';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import type { DB } from '../db/types.js';
import type { Metrics } from '../metrics/metrics.js';

/** How many rows one clean-up removed, per kind (logged, and asserted by tests). */
export interface CleanupReport {
  unconfirmedAccounts: number;
  idleGuests: number;
  sessions: number;
  refreshTokens: number;
  oneTimeTokens: number;
  usedCredentials: number;
  opaqueTokens: number;
  samlRequests: number;
  auditEvents: number;
  samlCompletions: number;
  mfaPendingSignIns: number;
  webauthnChallenges: number;
  /** Expired records of the OpenID provider (codes, tokens, grants, sessions, interactions). */
  oidcRecords: number;
}

/** Claims older than this are removed by the clean-up itself. */
const JOB_RUN_RETENTION_MS = 7 * 86_400_000;

/**
 * Removes what has outlived its use: unconfirmed accounts older than `signup.unconfirmedRemoval` (seed 002),
 * ended sessions, expired refresh and one-time tokens, audit events older than `audit.retention`, pending sign-ins
 * and WebAuthn challenges past `mfa.challengeTtl`. Revoked sessions are kept one access-token lifetime,
 * so a node that restarts still refuses the access tokens they issued.
 */
export async function runCleanup(db: Kysely<DB>, config: Config, now: number): Promise<CleanupReport> {
  const graceEnd = now - config.tokens.accessTokenTtl;
  const accounts = await db
    .deleteFrom('accounts')
    .where('type', '=', 'user')
    .where('confirmed', '=', 0)
    .where('created_at', '<', now - config.signup.unconfirmedRemoval)
    .executeTakeFirst();
  const idleGuests = await removeIdleGuests(db, config.tokens.guestIdleRemoval, now);
  const sessions = await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<', graceEnd), eb('revoked_at', '<', graceEnd)]))
    .executeTakeFirst();
  const refreshTokens = await db
    .deleteFrom('refresh_tokens')
    .where((eb) => eb.or([eb('expires_at', '<', now), eb('rotated_at', '<', now - config.tokens.refreshReuseInterval - 86_400_000)]))
    .executeTakeFirst();
  const oneTimeTokens = await db
    .deleteFrom('one_time_tokens')
    .where((eb) => eb.or([eb('expires_at', '<', now), eb('used_at', 'is not', null)]))
    .executeTakeFirst();
  const usedCredentials = await db.deleteFrom('used_credentials').where('expires_at', '<', now).executeTakeFirst();
  const opaqueTokens = await db.deleteFrom('opaque_tokens').where('expires_at', '<', now).executeTakeFirst();
  const samlRequests = await db.deleteFrom('saml_requests').where('expires_at', '<=', now).executeTakeFirst();
  const auditEvents = await db.deleteFrom('audit_events').where('at', '<', now - config.audit.retention).executeTakeFirst();
  const samlCompletions = await db.deleteFrom('saml_completions').where('expires_at', '<=', now).executeTakeFirst();
  const mfaPendingSignIns = await db.deleteFrom('mfa_pending_sign_ins').where('expires_at', '<=', now).executeTakeFirst();
  // Each new challenge sweeps the expired ones too, but a server that issues none for a while would keep them for ever.
  const webauthnChallenges = await db.deleteFrom('webauthn_challenges').where('expires_at', '<=', now).executeTakeFirst();
  const oidcRecords = await db.deleteFrom('oidc_records').where('expires_at', '<=', now).executeTakeFirst();
  await db.deleteFrom('job_runs').where('started_at', '<', now - JOB_RUN_RETENTION_MS).execute();
  return {
    usedCredentials: Number(usedCredentials.numDeletedRows),
    opaqueTokens: Number(opaqueTokens.numDeletedRows),
    samlRequests: Number(samlRequests.numDeletedRows),
    samlCompletions: Number(samlCompletions.numDeletedRows),
    mfaPendingSignIns: Number(mfaPendingSignIns.numDeletedRows),
    webauthnChallenges: Number(webauthnChallenges.numDeletedRows),
    oidcRecords: Number(oidcRecords.numDeletedRows),
    unconfirmedAccounts: Number(accounts.numDeletedRows),
    idleGuests,
    sessions: Number(sessions.numDeletedRows),
    refreshTokens: Number(refreshTokens.numDeletedRows),
    oneTimeTokens: Number(oneTimeTokens.numDeletedRows),
    auditEvents: Number(auditEvents.numDeletedRows),
  };
}

/**
 * Removes guest accounts unused for `tokens.guestIdleRemoval` (issue 14: guests were created by the thousand and never
 * went away), their own permissions, and their sessions and refresh tokens (foreign keys cascade). Use is a session's
 * `last_access`: every request with the guest's token and every refresh writes it (at most once a minute). A guest
 * with no session left counts from its creation; it cannot sign in again anyway. `null` (`never`) keeps guests.
 */
async function removeIdleGuests(db: Kysely<DB>, idleRemoval: number | null, now: number): Promise<number> {
  if (idleRemoval === null) return 0;
  const idleSince = now - idleRemoval;
  const idleGuests = db
    .selectFrom('accounts')
    .select('accounts.id')
    .where('accounts.type', '=', 'guest')
    .where('accounts.created_at', '<', idleSince)
    .where(({ not, exists, selectFrom }) => not(exists(
      selectFrom('sessions').select('sessions.id').whereRef('sessions.account_id', '=', 'accounts.id').where('sessions.last_access', '>=', idleSince),
    )));
  await db.deleteFrom('permissions').where('subject_type', '=', 'account').where('subject_id', 'in', idleGuests).execute();
  const result = await db.deleteFrom('accounts').where('id', 'in', idleGuests).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Runs the clean-up once per cluster: each node's scheduler fires at the same cron time, and the first node to
 * claim that time slot (a row keyed by job and slot) runs it; the rest skip. Why a claim and not a lock: a node
 * whose timer fires a few milliseconds after another has finished would take a free lock and run again.
 * The slot is `now` to the second, the cron's own resolution. Returns null when another node has the slot.
 */
export async function runCleanupOnce(db: Kysely<DB>, config: Config, now: number): Promise<CleanupReport | null> {
  const slot = Math.floor(now / 1000) * 1000;
  return db.transaction().execute(async (trx) => {
    const claimed = await trx
      .insertInto('job_runs')
      .values({ job: 'cleanup', slot, started_at: now })
      .onConflict((oc) => oc.columns(['job', 'slot']).doNothing())
      .executeTakeFirst();
    // A rolled-back run (an error below) releases its claim; the other nodes have skipped it, the next slot retries.
    return Number(claimed.numInsertedOrUpdatedRows ?? 0n) === 1 ? runCleanup(trx, config, now) : null;
  });
}

/** Schedules the clean-up on `schedule.cron`; `stop()` cancels it (called when the app closes). */
export function scheduleCleanup(
  options: { db: Kysely<DB>; config: Config; clock: Clock; metrics: Metrics },
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void },
): { stop(): void } {
  const job = new Cron(options.config.schedule.cron, { protect: true }, async () => {
    try {
      const report = await runCleanupOnce(options.db, options.config, options.clock.now());
      options.metrics.scheduledJobs.inc({ job: 'cleanup', result: report ? 'ran' : 'skipped' });
      if (report) log.info({ report }, 'scheduled clean-up done');
    } catch (error) {
      options.metrics.scheduledJobs.inc({ job: 'cleanup', result: 'failed' });
      log.error({ err: error }, 'scheduled clean-up failed');
    }
  });
  return { stop: () => job.stop() };
}
