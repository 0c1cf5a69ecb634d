import { provenAccount, type Step } from '../attempt.js';
import { startedSession } from './handover.js';

/**
 * Step 7: `login.succeeded` with the session's method. Outside the session's transaction: a failure to write the
 * audit log must not undo the login (AuditLog never throws). Failures are recorded where they are decided (lockout.ts).
 */
export const auditSignIn: Step = async ({ audit }, context) => {
  const account = provenAccount(context);
  const session = startedSession(context);
  await audit.record('login.succeeded', { accountId: account.id, sessionId: session.id, inetAddress: context.attempt.info.inetAddress, data: { method: session.method, ...(session.raised ? { stepUp: true } : {}) } });
};
