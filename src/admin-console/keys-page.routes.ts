import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import type { AuditLog } from '../audit/audit-log.js';
import type { ClusterBus } from '../cluster/bus.js';
import type { Config } from '../config/index.js';
import type { DB } from '../db/types.js';
import { AppError } from '../http/errors.js';
import { PROVIDER_ALGORITHMS } from '../tokens/signing-keys.js';
import { html } from '../pages/layout.js';
import type { KeyStore } from '../tokens/key-store.js';
import { canRotate, listSigningKeys, rotateRunningKeys, rotationAlgorithms } from '../tokens/key-rotation.js';
import { at } from './admin-messages.js';
import { adminPageErrors, csrfField, sendAdminPage } from './admin-page.js';
import { consoleCaller, requireConsoleFormToken, type ConsoleAccessDeps, type ConsoleCaller } from './console-access.js';
import { keyListBody, type KeyState } from './keys-page.view.js';

export const KEYS_PATH = '/admin/keys';
/** The permission of the keys' pages: the JSON API has no key administration, and CONTRACT §3 names this one for the system's. */
export const KEYS_PERMISSION = 'system:config';

const KeysQuery = Type.Object({ done: Type.Optional(Type.Literal('rotated')) }, { additionalProperties: false });
const EmptyForm = Type.Object({}, { additionalProperties: false });

/** What the keys' pages use: the stored keys, this node's key store, the cluster bus, the clock, and the audit log. */
export interface KeysConsoleDeps extends ConsoleAccessDeps {
  config: Config;
  signingKeys: { db: Kysely<DB>; keys: Pick<KeyStore, 'reload' | 'current'>; bus: Pick<ClusterBus, 'publish'>; now: () => number };
  audit: Pick<AuditLog, 'record'>;
}

/**
 * `GET /admin/keys` (system:config): the stored signing keys by `kid`, algorithm, creation and state — the signer of
 * access tokens, the OpenID provider's signers, retired keys that still verify — never a private part. "Rotate" goes
 * through a confirmation page and does what `gatehouse keys rotate` does (tokens/key-rotation.ts), audited as
 * `keys.rotated` with the caller as `by`.
 */
export const keysPageRoutes: FastifyPluginAsync<KeysConsoleDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const errorHandler = adminPageErrors(deps.serverKey);
  const tags = ['admin console'];

  app.get(KEYS_PATH, { errorHandler, schema: { tags, summary: 'The signing keys (HTML; system:config)', querystring: KeysQuery } }, async (request, reply) => {
    const caller = await keysCaller(request, deps);
    const body = keyListBody(caller, await keyState(deps), request.query.done === 'rotated');
    return sendAdminPage(reply, { title: at(caller.lang, 'keys.title'), body, lang: caller.lang, caller, current: KEYS_PATH });
  });

  app.get(`${KEYS_PATH}/rotate`, { errorHandler, schema: { tags, summary: 'Confirm rotating the signing keys (HTML; system:config)' } }, async (request, reply) => {
    const caller = await keysCaller(request, deps);
    requireRotatable(deps.config);
    const { lang } = caller;
    const algorithms = [...new Set(rotationAlgorithms(deps.config))].filter((a) => a !== 'HS512').join(', ');
    const body = html`<p>${at(lang, 'keys.confirmText', { algorithms })}</p>
<form method="post" action="${KEYS_PATH}/rotate">${csrfField(caller)}<div class="actions"><button type="submit" class="danger">${at(lang, 'keys.confirmSubmit')}</button><a href="${KEYS_PATH}">${at(lang, 'confirm.cancel')}</a></div></form>`;
    return sendAdminPage(reply, { title: at(lang, 'keys.confirmTitle'), body, lang, caller, current: KEYS_PATH });
  });

  app.post(`${KEYS_PATH}/rotate`, {
    errorHandler, preValidation: requireConsoleFormToken(deps.serverKey), schema: { tags, summary: 'Rotate the signing keys, as gatehouse keys rotate (system:config)', body: EmptyForm },
  }, async (request, reply) => {
    const caller = await keysCaller(request, deps);
    requireRotatable(deps.config);
    const { db, keys, bus, now } = deps.signingKeys;
    const rotated = await rotateRunningKeys({ db, config: deps.config, keys, bus, now, warn: (error) => request.log.warn({ err: error }, 'keysRotated broadcast failed; nodes load the keys within 30 s') });
    await deps.audit.record('keys.rotated', { sessionId: caller.sessionId, inetAddress: request.ip, data: { by: caller.accountId, keys: rotated.map((key) => `${key.kid} (${key.algorithm})`) } });
    // The notice names the keys that sign now, read from the store — never kids from the URL, which anyone can write.
    return reply.redirect(`${KEYS_PATH}?done=rotated`, 303);
  });
};

async function keysCaller(request: Parameters<typeof consoleCaller>[0], deps: KeysConsoleDeps): Promise<ConsoleCaller> {
  const caller = await consoleCaller(request, deps);
  deps.accounts.requirePermission(caller.actor, KEYS_PERMISSION);
  return caller;
}

function requireRotatable(config: Config): void {
  if (!canRotate(config)) throw new AppError('conflict', 'tokens.algorithm HS512 has no stored key to rotate and the OpenID provider is off; change tokens.hmacSecret instead');
}

/** The listed keys with who signs: the key store's signer for access tokens, the newest unretired key of each of the provider's algorithms. */
async function keyState(deps: KeysConsoleDeps): Promise<KeyState> {
  const { config } = deps;
  const [keys, ring] = await Promise.all([listSigningKeys(deps.signingKeys.db), deps.signingKeys.keys.current()]);
  const providerSigners = new Set<string>();
  if (config.oidc.enabled) {
    for (const algorithm of PROVIDER_ALGORITHMS) {
      const newest = keys.filter((key) => key.algorithm === algorithm && key.retiredAt === null).at(-1);
      if (newest) providerSigners.add(newest.kid);
    }
  }
  const hmac = config.tokens.algorithm === 'HS512';
  return { keys, algorithm: config.tokens.algorithm, accessSigner: hmac ? null : ring.signer.kid, providerSigners, canRotate: canRotate(config) };
}
