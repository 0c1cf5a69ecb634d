/**
 * Authorization codes for the code-exchange run, made by the provider itself at its authorization endpoint, as a
 * signed-in browser gets them. Why not seeded rows: a code the provider wrote has exactly the payload, grant and
 * session binding an exchange meets in production. Why not Chromium: a code lives 60 s and a run spends thousands;
 * after the one sign-in below, each code is a single `GET /oidc/auth` answered by a redirect with the code (single
 * sign-on: the provider's session and the grant already cover what the app asks).
 */
import { randomBytes } from 'node:crypto';
import { cookieForm } from './gatehouse.js';
import { expectStatus, FORM_HEADERS } from './http.js';
import { authorizationPath, BENCH_REDIRECT_URI } from './oidc-clients.js';
import { CONNECTIONS } from './params.js';

/** Most redirects one authorization may take: request → interaction → resume → consent → resume → app. */
const MAX_HOPS = 8;

/** Makes fresh codes of the bench web app for the bench user, who is signed in to the provider. */
export interface CodeMinter {
  mint(count: number): Promise<string[]>;
}

/**
 * Signs the bench user in (the hosted login's cookie) and walks the first authorization through the provider's
 * interaction (login from the Gatehouse session, then the first-party grant), as a browser would; the provider's
 * session cookie then makes every later authorization one request.
 */
export async function signInToProvider(base: string): Promise<CodeMinter> {
  const jar = new CookieJar();
  const login = await fetch(`${base}/auth/cookie`, { method: 'POST', headers: FORM_HEADERS, body: cookieForm() });
  await expectStatus(login, 'cookie login (for the provider)', 200);
  jar.take(login.headers.getSetCookie());
  await authorize(base, jar);
  return {
    async mint(count) {
      const codes: string[] = [];
      let started = 0;
      const worker = async () => {
        while (started < count) {
          started++;
          codes.push(await authorize(base, jar));
        }
      };
      await Promise.all(Array.from({ length: CONNECTIONS }, worker));
      return codes;
    },
  };
}

/** One authorization request followed to the app's redirect; answers its code. */
async function authorize(base: string, jar: CookieJar): Promise<string> {
  let path = authorizationPath(randomBytes(12).toString('base64url'));
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const answer = await fetch(new URL(path, base), { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.take(answer.headers.getSetCookie());
    const body = await answer.text();
    const location = answer.headers.get('location');
    if (answer.status < 300 || answer.status > 399 || !location) throw new Error(`authorization: ${path} answered ${answer.status} ${body.slice(0, 300)}`);
    if (location.startsWith(BENCH_REDIRECT_URI)) return codeOf(new URL(location));
    // The provider's own redirects go back to it; only the path is taken, since the bench server's configured base
    // URL says port 0 (it listens on a free port).
    const next = new URL(location, base);
    path = `${next.pathname}${next.search}`;
  }
  throw new Error(`authorization: more than ${MAX_HOPS} redirects`);
}

function codeOf(redirect: URL): string {
  const code = redirect.searchParams.get('code');
  if (!code) throw new Error(`authorization: the app was sent back without a code (${redirect.search})`);
  return code;
}

/**
 * The cookies a browser would hold for the server: every name sent on every request (the bench talks to one origin,
 * and a cookie sent beyond its path changes nothing here), a cleared one dropped.
 */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  take(lines: string[]): void {
    for (const line of lines) {
      const pair = line.split(';', 1)[0]!;
      const at = pair.indexOf('=');
      const [name, value] = [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
      if (value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}
