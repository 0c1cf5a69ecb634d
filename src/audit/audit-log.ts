import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import { PreparedStatement } from '../db/prepared.js';
import type { DB } from '../db/types.js';
import type { Metrics } from '../metrics/metrics.js';
import { findAuditEvents, type AuditEventRow, type AuditFilter } from './audit.repository.js';

/** Security event types written to the audit log (served by `GET /audit`, issue 6). */
export type AuditType =
  | 'account.registered' | 'account.confirmed' | 'account.updated' | 'account.deleted'
  | 'login.succeeded' | 'login.failed' | 'login.locked'
  | 'token.refreshed' | 'token.reused' | 'session.revoked' | 'logout'
  | 'password.changed' | 'password.reset-requested' | 'password.reset' | 'email.changed' | 'admin.bootstrapped'
  | 'mfa.enrolled' | 'mfa.removed' | 'mfa.failed' | 'mfa.challenged' | 'mfa.succeeded' | 'mfa.recovery-codes-regenerated' | 'mfa.reset'
  | 'mfa.passkey-renamed' | 'mfa.passkey-refused' | 'mfa.passkey-disabled'
  | 'client.created' | 'client.updated' | 'client.deleted' | 'client.secret-rotated'
  | 'keys.rotated'
  | 'invite.created' | 'invite.revoked';

/** What an event is about; every field optional. Never put a secret here. */
export interface AuditDetails {
  accountId?: string | null;
  sessionId?: string | null;
  loginName?: string | null;
  inetAddress?: string | null;
  data?: Record<string, unknown>;
}

/** Appends security events; a failure to write one is logged, never fails the request it describes. */
export class AuditLog {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: Clock,
    private readonly onError: (error: unknown) => void,
    private readonly metrics?: Metrics,
  ) {}

  async record(type: AuditType, details: AuditDetails = {}): Promise<void> {
    this.count(type, details);
    try {
      await eventInsert.run(
        this.db,
        this.clock.now(),
        type,
        details.accountId ?? null,
        details.sessionId ?? null,
        details.loginName ? details.loginName.slice(0, 256) : null,
        details.inetAddress ?? null,
        details.data ? JSON.stringify(details.data) : null,
      );
    } catch (error) {
      this.onError(error);
    }
  }

  /** One page of stored events, newest first, with the number that match (`GET /audit`). */
  search(filter: AuditFilter, window: { offset: number; limit: number }): Promise<{ total: number; rows: AuditEventRow[] }> {
    return findAuditEvents(this.db, filter, window);
  }

  /** Login metrics come from the same events, so the two never disagree. */
  private count(type: AuditType, details: AuditDetails): void {
    if (!this.metrics) return;
    const method = typeof details.data?.method === 'string' ? details.data.method : typeof details.data?.provider === 'string' ? details.data.provider : 'password';
    if (type === 'login.succeeded') this.metrics.logins.inc({ method, result: 'success' });
    if (type === 'login.failed') this.metrics.logins.inc({ method, result: 'failure' });
    if (type === 'login.locked') this.metrics.logins.inc({ method, result: 'locked' });
    if (type === 'login.locked' && details.data?.started === true) this.metrics.lockouts.inc();
  }
}

const eventInsert = new PreparedStatement(7, (db, at: number, type: string, account_id: string | null, session_id: string | null,
  login_name: string | null, inet_address: string | null, data: string | null) =>
  db.insertInto('audit_events').values({ at, type, account_id, session_id, login_name, inet_address, data }));

/** The audit log of a command-line run: its changes are audited like the API's; a failed write is said on stderr. */
export function commandLineAuditLog(db: Kysely<DB>, clock: Clock): AuditLog {
  return new AuditLog(db, clock, (error) => process.stderr.write(`gatehouse: audit write failed: ${(error as Error).message}\n`));
}
