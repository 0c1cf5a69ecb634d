import { createServer, type Server } from 'node:http';

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
 * pages. The port is open first (`issuer` is known) and the provider is configured later, so the relying party's
 * redirect URI — which needs the relying party's port — can be registered.
 */
export interface OidcPeer {
  issuer: string;
  /** Persons by login name; the login page accepts any password. */
  accounts: Map<string, PeerAccount>;
  configure(options: { clients: PeerClient[]; emailInIdToken?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export async function openOidcPeer(): Promise<OidcPeer> {
  const server: Server = createServer((_request, response) => {
    response.statusCode = 503;
    response.end('not configured');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const issuer = `http://127.0.0.1:${port}`;
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
  /** Set when the browser was sent to a site outside the known origins (a client's callbackURL). */
  exit?: URL;
  /** Set when `stopBefore` held the browser before requesting this URL. */
  pending?: string;
}

/**
 * A browser across several sites: keeps cookies per origin (set and cleared), follows redirects by hand
 * (`redirect: 'manual'`) and stops where the browser would leave the known origins.
 */
export class WebAgent {
  readonly jar = new Map<string, Map<string, string>>();

  constructor(private readonly origins: string[]) {}

  cookies(origin: string): Map<string, string> {
    let jar = this.jar.get(origin);
    if (!jar) this.jar.set(origin, (jar = new Map()));
    return jar;
  }

  async request(method: string, url: string, form?: Record<string, string>): Promise<Hop & { location: string | null }> {
    const target = new URL(url);
    const jar = this.cookies(target.origin);
    const headers: Record<string, string> = { 'user-agent': 'oidc-test-agent/1.0' };
    if (jar.size) headers.cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    let body: string | undefined;
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers.origin = target.origin;
      body = new URLSearchParams(form).toString();
    }
    const response = await fetch(target, { method, headers, body, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const cleared = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) <= Date.now()));
      if (cleared || value === '') jar.delete(name);
      else jar.set(name, value);
    }
    const location = response.headers.get('location');
    return { url, status: response.status, text: await response.text(), headers: response.headers, location: location ? new URL(location, url).href : null };
  }

  /** GETs `url` and follows redirects within the known origins. */
  async follow(url: string, stopBefore?: (url: URL) => boolean): Promise<Hop> {
    for (let hops = 0; hops < 20; hops++) {
      const target = new URL(url);
      if (!this.origins.includes(target.origin)) return { url, status: 0, text: '', headers: new Headers(), exit: target };
      if (stopBefore?.(target)) return { url, status: 0, text: '', headers: new Headers(), pending: url };
      const hop = await this.request('GET', url);
      if (hop.status >= 300 && hop.status < 400 && hop.location) {
        url = hop.location;
        continue;
      }
      return hop;
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /**
   * Starts at `startUrl` and signs in at the peer's development pages as `login` (then consents), following
   * the redirects back; answers where the browser ended (or was stopped).
   */
  async signIn(startUrl: string, login: string, stopBefore?: (url: URL) => boolean): Promise<Hop> {
    let hop = await this.follow(startUrl, stopBefore);
    for (let step = 0; step < 4 && hop.status === 200; step++) {
      const prompt = /name="prompt" value="(login|consent)"/.exec(hop.text)?.[1];
      const action = /<form[^>]*action="([^"]+)"/.exec(hop.text)?.[1];
      if (!prompt || !action) break;
      const form: Record<string, string> = prompt === 'login' ? { prompt, login, password: 'any' } : { prompt };
      const posted = await this.request('POST', new URL(action.replace(/&amp;/g, '&'), hop.url).href, form);
      hop = posted.location ? await this.follow(posted.location, stopBefore) : posted;
    }
    return hop;
  }
}
