import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../http/errors.js';
import { curies, HAL_JSON, type HalLink, type HalLinks } from '../http/hal.js';
import { html, sendHtmlPage } from '../pages/layout.js';
import type { Config } from '../config/index.js';
import { errorDocsBody } from './error-docs.js';
import { findRelation, relations } from './relations.js';

const authRels = ['auth/public-key', 'auth/register', 'auth/login', 'auth/logout', 'auth/password-reset', 'auth/change-email', 'auth/email-available', 'auth/facebook', 'auth/google'];

/** What discovery reads: the base URL its links start with. */
export interface DiscoveryRouteDeps {
  config: Config;
}

/** `GET /` (seed 000's entry point), `GET /auth` (the auth entry point), `GET /docs/rels/{rel}` and `GET /docs/errors`. */
export const discoveryRoutes: FastifyPluginAsync<DiscoveryRouteDeps> = async (fastify, { config }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const base = config.server.baseUrl;
  const linkTo = (rel: string): HalLink => {
    const relation = findRelation(rel)!;
    const link: HalLink = { href: base + relation.href, title: relation.title };
    if (relation.href.includes('{')) link.templated = true;
    return link;
  };
  const links = (rels: string[]): HalLinks =>
    Object.fromEntries([['curies', curies(base)], ...rels.map((rel) => [`ec:${rel}`, linkTo(rel)])]);

  app.get('/', { schema: { tags: ['discovery'], summary: 'HAL entry point: every relation of the account server' } }, async (_request, reply) =>
    reply.type(HAL_JSON).send({ _links: { self: { href: `${base}/` }, ...links(relations.map((r) => r.rel)) } }),
  );

  app.get('/auth', { schema: { tags: ['discovery'], summary: 'HAL auth entry point' } }, async (_request, reply) =>
    reply.type(HAL_JSON).send({ _links: { self: { href: `${base}/auth` }, ...links(authRels) } }),
  );

  app.get('/docs/rels/*', {
    schema: { tags: ['discovery'], summary: 'Documentation of a link relation', params: Type.Object({ '*': Type.String({ maxLength: 64 }) }) },
  }, async (request, reply) => {
    const relation = findRelation(request.params['*'].replace(/\/$/, ''));
    if (!relation) throw new AppError('not-found', `no relation ec:${request.params['*']}`);
    const body = html`<p><code>ec:${relation.rel}</code> → ${relation.target}</p>
<p>${relation.description}</p>
<dl><dt>URL</dt><dd><code>${base}${relation.href}</code></dd><dt>Methods</dt><dd>${relation.methods.join(', ')}</dd></dl>
<p><a href="/docs">API reference</a> · <a href="/">Entry point</a></p>`;
    return sendHtmlPage(reply, 200, relation.title, body, 'en');
  });

  // Every problem's `type` is `/docs/errors#<code>`: this page is where those links land. Themed like every page.
  const errorDocs = errorDocsBody();
  app.get('/docs/errors', { schema: { tags: ['discovery'], summary: 'What each error code means and what a client should do' } }, async (_request, reply) =>
    sendHtmlPage(reply, 200, 'Error codes', errorDocs, 'en'),
  );
};
