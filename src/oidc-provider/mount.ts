import type { RequestListener } from 'node:http';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import type { ProviderKeys } from './keys.js';
import { buildProvider, type ProviderDeps } from './provider.js';
import { DISCOVERY_PATHS, PROVIDER_PREFIX } from './routes.js';

/** The provider as built from the current keys, and its request handler. */
export interface BuiltProvider {
  provider: Provider;
  handle: RequestListener;
}

/**
 * Holds the provider and builds it anew when the signing keys change (`gatehouse keys rotate`, seen by the key store
 * within 30 s or at once through the cluster bus). Everything else the provider knows is in the database.
 */
export class ProviderHolder {
  private built: BuiltProvider | null = null;

  constructor(private readonly deps: ProviderDeps, private readonly keys: ProviderKeys, private readonly onError: (error: unknown) => void) {}

  async current(): Promise<BuiltProvider> {
    const { keys, changed } = await this.keys.current();
    if (this.built && !changed) return this.built;
    const provider = buildProvider(this.deps, keys);
    provider.on('server_error', (_ctx: unknown, error: unknown) => this.onError(error));
    this.built = { provider, handle: provider.callback() as RequestListener };
    return this.built;
  }
}

/**
 * The CSP of the provider's own answers. Its one page with a script, `form_post`'s self-submitting form, adds that
 * script's hash to `script-src` (node-oidc-provider does so when a CSP with `script-src` is set), so no other inline
 * script could run there. No `form-action`: that form posts to the client's redirect URI, which the provider checked
 * against the registered ones. Our pages rendered inside the provider (provider-pages.ts) set their own CSP.
 */
const PROVIDER_CSP = "default-src 'none'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'";

/**
 * Mounts node-oidc-provider's endpoints (`/oidc/*`, the discovery documents) on the Fastify app. The provider reads
 * its own bodies and credentials, so the route neither parses nor authenticates (`ownCredentials`, app.ts); the
 * forwarded-for headers it trusts are rewritten from Fastify's reading of `server.trustProxy`.
 */
export const providerMountRoutes: FastifyPluginAsync<{ holder: ProviderHolder }> = async (fastify, { holder }) => {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  const forward = async (request: FastifyRequest, reply: FastifyReply, path?: string) => {
    const { handle } = await holder.current();
    const raw = request.raw;
    raw.headers['x-forwarded-proto'] = request.protocol;
    raw.headers['x-forwarded-host'] = request.host;
    raw.headers['x-forwarded-for'] = request.ip;
    if (path) raw.url = path;
    reply.raw.setHeader('x-content-type-options', 'nosniff');
    reply.raw.setHeader('content-security-policy', PROVIDER_CSP);
    reply.hijack();
    handle(raw, reply.raw);
  };
  const config = { ownCredentials: true };
  fastify.route({ method: ['GET', 'POST', 'OPTIONS', 'DELETE', 'PUT'], url: `${PROVIDER_PREFIX}/*`, config, schema: { hide: true }, handler: (request, reply) => forward(request, reply) });
  // RFC 8414's document is the OpenID one (the provider serves that name only).
  for (const path of DISCOVERY_PATHS) {
    fastify.route({ method: ['GET', 'OPTIONS'], url: path, config, schema: { hide: true }, handler: (request, reply) => forward(request, reply, DISCOVERY_PATHS[0]) });
  }
};
