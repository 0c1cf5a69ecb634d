import type { AdapterPayload } from 'oidc-provider';
import type { RecordStore } from './adapter.js';
import type { ProviderHolder } from './mount.js';

/** node-oidc-provider's client model sends the logout token (its type declarations leave the method out). */
interface LoggingOut {
  backchannelLogout(sub: string, sid: string): Promise<void>;
}

/** What the provider's browser session keeps per app: the `sid` it told that app, and its grant. */
type Authorizations = Record<string, { sid?: string; grantId?: string }>;

/**
 * Ends what the provider made in Gatehouse sessions that just ended (logout, an administrator, a password change —
 * CONTRACT §5): their browser sessions, their grants with every code and token, and tells each app that asked to be
 * told (OIDC Back-Channel Logout 1.0). Why remove although `find` already refuses them: the apps' logout tokens need
 * the sessions' `sid`s, and taking the records (DELETE … RETURNING, or one Redis script) makes exactly one node send them.
 */
export async function endProviderSessions(records: RecordStore, holder: ProviderHolder, sessionIds: string[], log: (error: unknown) => void): Promise<void> {
  const browsers = await records.takeSessions(sessionIds);
  const notices = browsers.flatMap(logoutNotices);
  if (notices.length === 0) return;
  const { provider } = await holder.current();
  await Promise.all(notices.map(async ({ clientId, accountId, sid }) => {
    const client = await provider.Client.find(clientId);
    if (client?.backchannelLogoutUri) await (client as unknown as LoggingOut).backchannelLogout(accountId, sid).catch(log);
  }));
}

function logoutNotices(session: AdapterPayload): Array<{ clientId: string; accountId: string; sid: string }> {
  const accountId = session.accountId;
  if (!accountId) return [];
  return Object.entries((session.authorizations ?? {}) as Authorizations)
    .filter(([, authorization]) => authorization.sid)
    .map(([clientId, authorization]) => ({ clientId, accountId, sid: authorization.sid! }));
}
