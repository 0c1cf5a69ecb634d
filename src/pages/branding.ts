import type { FastifyReply } from 'fastify';
import type { Config } from '../config/index.js';

/** The `branding.*` keys (CONTRACT §2): the theme of every hosted page. */
export type Branding = Config['branding'];

/** The look without configuration; why a constant: pages drawn outside an app (tests, docs) still get a frame. */
export const DEFAULT_BRANDING: Branding = Object.freeze({ productName: 'Gatehouse', logoUrl: null, primaryColor: null, css: null });

declare module 'fastify' {
  interface FastifyInstance {
    /** The configuration's branding, decorated once by createApp (app.ts), read by every page as it is sent. */
    branding?: Branding;
  }
}

/**
 * The branding of the app answering `reply`. Why through the Fastify instance: every hosted page of every feature is
 * themed, and handing the same four keys to each page plugin would thread them through a dozen signatures; the
 * decoration is set once per app (so two apps in one process keep their own).
 */
export function brandingOf(reply: FastifyReply): Branding {
  return reply.server.branding ?? DEFAULT_BRANDING;
}

/** The CSP source that admits a branding URL: its origin, or 'self' for a path on this server. */
export function cspSourceOf(url: string): string {
  return url.startsWith('/') ? "'self'" : new URL(url).origin;
}
