import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { AccountService } from '../accounts/account.service.js';
import type { ClientDirectory } from '../clients/client-directory.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import type { DB } from '../db/types.js';
import type { LoginCsrfDeps } from '../pages/form-token.js';
import type { SessionService } from '../sessions/session.service.js';
import type { LoginService } from '../sign-in/login.service.js';
import type { StepUpDeps } from '../sign-in/step-up.js';
import { endProviderSessions } from './session-end.js';
import { openRecordStore } from './record-store.js';
import type { KeyStore } from '../tokens/key-store.js';
import { interactionRoutes } from './interaction.routes.js';
import { ProviderKeys } from './keys.js';
import { ProviderHolder, providerMountRoutes } from './mount.js';

/** What Gatehouse as an OpenID provider is built from (the composition root hands exactly these). */
export interface OidcProviderDeps {
  config: Config;
  db: Kysely<DB>;
  clock: Clock;
  keys: KeyStore;
  serverKey: string;
  accounts: Pick<AccountService, 'view'>;
  clients: Pick<ClientDirectory, 'find'>;
  sessions: Pick<SessionService, 'find' | 'onEnded'>;
  logins: Pick<LoginService, 'logout'>;
  loginCsrf: LoginCsrfDeps;
  /** What a step-up uses: the account's second factors, the parked sign-ins, the audit log. */
  factors: StepUpDeps['factors'];
  audit: StepUpDeps['audit'];
}

/** Gatehouse as an OpenID provider (CONTRACT §5): the provider's endpoints, and the interactions on our pages. */
export const oidcProviderRoutes: FastifyPluginAsync<OidcProviderDeps> = async (fastify, deps) => {
  const { config, db, clock, accounts, serverKey, logins, sessions } = deps;
  const keys = new ProviderKeys(db, deps.keys, clock);
  const log = (error: unknown) => fastify.log.error({ err: error }, 'OpenID provider error');
  const endGatehouseSession = async (sessionId: string) => {
    const session = await sessions.find(sessionId);
    await logins.logout(sessionId, session?.account_id ?? null);
  };
  const records = openRecordStore(config, db, clock, serverKey, log);
  fastify.addHook('onClose', () => records.close());
  const holder = new ProviderHolder({ config, db, records, clock, accounts, serverKey, endGatehouseSession }, keys, log);
  sessions.onEnded((ids) => endProviderSessions(records, holder, ids, log).catch(log));
  // Built once now, so a broken configuration or key fails the start, not the first sign-in.
  await holder.current();
  await fastify.register(providerMountRoutes, { holder });
  const stepUp = { factors: deps.factors, audit: deps.audit, loginCsrf: deps.loginCsrf };
  await fastify.register(interactionRoutes, { config, records, clock, holder, clients: deps.clients, sessions: deps.sessions, loginCsrf: deps.loginCsrf, stepUp });
};
