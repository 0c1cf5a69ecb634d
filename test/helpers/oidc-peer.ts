import { createServer, type Server } from 'node:http';
import { attaches, parseSetCookie, refreshTarget, type Initiator, type StoredCookie } from './browser.js';

/** One person the peer knows: the claims it vouches for. */
export interface PeerAccount {
  email?: string;
  email_verified?: boolean;
}

export interface PeerClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

/**
 * A real OpenID Provider (node-oidc-provider, certified) on a loopback port, with its development login and consent
 * pages. `host` puts it on a loopback address of its own (127.0.0.2, …), a site apart from Gatehouse's, so that
 * browsers apply their cross-site cookie rules to the return. The port is open first (`issuer` is known) and the provider is configured later, so the relying party's
 * redirect URI — which needs the relying party's port — can be registered.
 */
export interface OidcPeer {
  issuer: string;
  /** Persons by login name; the login page accepts any password. */
  accounts: Map<string, PeerAccount>;
  configure(options: { clients: PeerClient[]; emailInIdToken?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export async function openOidcPeer(host = '127.0.0.1'): Promise<OidcPeer> {
  const server: Server = createServer((_request, response) => {
    response.statusCode = 503;
    response.end('not configured');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  const issuer = `http://${host}:${port}`;
  const accounts = new Map<string, PeerAccount>();
  return {
    issuer,
    accounts,
    async configure({ clients, emailInIdToken = false }) {
      // No type declarations ship with oidc-provider; a computed specifier keeps tsc from looking for them.
      const moduleName = 'oidc-provider';
      const { default: Provider } = (await import(moduleName)) as { default: new (issuer: string, configuration: unknown) => { callback(): (req: unknown, res: unknown) => void } };
      const provider = new Provider(issuer, {
        clients: clients.map((client) => ({
          ...client, grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_post',
        })),
        findAccount: (_ctx: unknown, sub: string) => ({
          accountId: sub,
          claims: () => ({ sub, id: sub, ...(accounts.get(sub) ?? {}) }),
        }),
        // `id` under `openid` lets the same peer stand in for Facebook's Graph API `/me` (which answers `id`).
        claims: { openid: ['sub', 'id'], email: ['email', 'email_verified'] },
        // Default (true) puts e-mail claims in userinfo only: the relying party's userinfo fallback is exercised.
        conformIdTokenClaims: !emailInIdToken,
        features: { devInteractions: { enabled: true }, userinfo: { enabled: true } },
        pkce: { required: () => true },
        cookies: { keys: ['oidc-peer-test-cookie-key'] },
      });
      server.removeAllListeners('request');
      server.on('request', provider.callback());
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** One step of a browser: the answer at `url`, or where it left the known sites / was stopped. */
export interface Hop {
  url: string;
  status: number;
  text: string;
  headers: Headers;
  /** Who started the navigation this answer belongs to (see `Initiator`): resume a held hop with it. */
  initiator: Initiator;
  /** Set when the browser was sent to a site outside the known origins (a client's callbackURL). */
  exit?: URL;
  /** Set when `stopBefore` held the browser before requesting this URL. */
  pending?: string;
}

/**
 * A browser across several sites, sending cookies as Chromium does (test/helpers/browser.ts `attaches`: SameSite
 * judged by who started each navigation). Cookies are kept per host — a browser ignores the port — so every
 * site must be on a loopback address of its own. It follows redirects by hand (`redirect: 'manual'`) keeping the
 * chain's initiator, follows a page's meta refresh as a navigation that page starts, and stops where the browser
 * would leave the known origins.
 */
export class WebAgent {
  readonly jar = new Map<string, Map<string, StoredCookie>>();

  constructor(private readonly origins: string[]) {}

  /** The cookies the browser keeps for `url`'s host. */
  cookies(url: string): Map<string, StoredCookie> {
    const host = new URL(url).hostname;
    let jar = this.jar.get(host);
    if (!jar) this.jar.set(host, (jar = new Map()));
    return jar;
  }

  /** One request; `initiator` is the page (or the person, `null`) that started the navigation. */
  async request(method: string, url: string, options: { form?: Record<string, string>; initiator: Initiator }): Promise<Hop & { location: string | null }> {
    const target = new URL(url);
    const jar = this.cookies(url);
    const headers: Record<string, string> = { 'user-agent': 'oidc-test-agent/1.0' };
    const sent = [...jar].filter(([, cookie]) => attaches(cookie, target, { method, initiator: options.initiator }));
    if (sent.length) headers.cookie = sent.map(([name, cookie]) => `${name}=${cookie.value}`).join('; ');
    let body: string | undefined;
    if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers.origin = options.initiator ? new URL(options.initiator).origin : 'null';
      body = new URLSearchParams(options.form).toString();
    }
    const response = await fetch(target, { method, headers, body, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const { name, cookie } = parseSetCookie(line);
      if (cookie === null) jar.delete(name);
      else if (cookie !== 'refused') jar.set(name, cookie);
    }
    const location = response.headers.get('location');
    return {
      url, status: response.status, text: await response.text(), headers: response.headers, initiator: options.initiator,
      location: location ? new URL(location, url).href : null,
    };
  }

  /**
   * GETs `url` (a navigation `initiator` started; the person's own by default) and follows redirects and meta
   * refreshes within the known origins.
   */
  async follow(url: string, options: { initiator?: Initiator; stopBefore?: (url: URL) => boolean } = {}): Promise<Hop> {
    let initiator = options.initiator ?? null;
    for (let hops = 0; hops < 20; hops++) {
      const target = new URL(url);
      const held = { url, status: 0, text: '', headers: new Headers(), initiator };
      if (!this.origins.includes(target.origin)) return { ...held, exit: target };
      if (options.stopBefore?.(target)) return { ...held, pending: url };
      const hop = await this.request('GET', url, { initiator });
      if (hop.status >= 300 && hop.status < 400 && hop.location) {
        url = hop.location;
        continue;
      }
      const refresh = hop.status === 200 ? refreshTarget(hop.text, url) : null;
      if (refresh) {
        // The page itself starts the next navigation.
        [url, initiator] = [refresh.href, url];
        continue;
      }
      return hop;
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /**
   * Starts at `startUrl` (typed by the person) and signs in at the peer's development pages as `login` (then
   * consents), following the redirects back — a chain the peer's page started; answers where the browser ended
   * (or was stopped).
   */
  async signIn(startUrl: string, login: string, stopBefore?: (url: URL) => boolean): Promise<Hop> {
    let hop = await this.follow(startUrl, { stopBefore });
    for (let step = 0; step < 4 && hop.status === 200; step++) {
      const prompt = /name="prompt" value="(login|consent)"/.exec(hop.text)?.[1];
      const action = /<form[^>]*action="([^"]+)"/.exec(hop.text)?.[1];
      if (!prompt || !action) break;
      const form: Record<string, string> = prompt === 'login' ? { prompt, login, password: 'any' } : { prompt };
      const posted = await this.request('POST', new URL(action.replace(/&amp;/g, '&'), hop.url).href, { form, initiator: hop.url });
      hop = posted.location ? await this.follow(posted.location, { initiator: hop.url, stopBefore }) : posted;
    }
    return hop;
  }
}
