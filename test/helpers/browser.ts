import type { Answer, TestServer } from './server.js';

/** One stored cookie with the attributes the server gave it. */
export interface StoredCookie {
  value: string;
  attributes: Record<string, string | true>;
}

/**
 * A cookie-keeping client that behaves like a browser towards one server: it stores Set-Cookie (and forgets
 * cookies the server clears), sends them back, and sends `Origin` on unsafe requests as browsers do.
 */
export class Browser {
  readonly cookies = new Map<string, StoredCookie>();
  lastSetCookies: string[] = [];

  constructor(
    private readonly server: TestServer,
    private readonly options: { userAgent?: string; origin?: string | null } = {},
  ) {}

  async request(method: string, path: string, init: { form?: Record<string, string>; json?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
    const headers: Record<string, string> = { 'user-agent': this.options.userAgent ?? 'test-browser/1.0', ...init.headers };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([name, c]) => `${name}=${c.value}`).join('; ');
    const origin = this.options.origin === undefined ? this.server.url : this.options.origin;
    if (!['GET', 'HEAD'].includes(method) && origin !== null) headers.origin ??= origin;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    } else if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    }
    const response = await fetch(this.server.url + path, { method, headers, body, redirect: 'manual' });
    this.lastSetCookies = response.headers.getSetCookie();
    for (const line of this.lastSetCookies) this.store(line);
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  }

  /** Logs in through `POST /auth/cookie`. */
  login(username: string, password: string, maxAge?: number): Promise<Answer> {
    const form: Record<string, string> = { auth_username: username, auth_password: password };
    if (maxAge !== undefined) form.auth_maxage = String(maxAge);
    return this.request('POST', '/auth/cookie', { form });
  }

  private store(line: string): void {
    const [pair, ...rest] = line.split(';');
    const eq = pair!.indexOf('=');
    const name = pair!.slice(0, eq).trim();
    const value = pair!.slice(eq + 1).trim();
    const attributes: Record<string, string | true> = {};
    for (const part of rest) {
      const [key, ...v] = part.trim().split('=');
      attributes[key!.toLowerCase()] = v.length ? v.join('=') : true;
    }
    const expired = attributes['max-age'] === '0' || (typeof attributes.expires === 'string' && Date.parse(attributes.expires) <= Date.now());
    if (expired || value === '') this.cookies.delete(name);
    else this.cookies.set(name, { value, attributes });
  }
}
