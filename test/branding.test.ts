import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemsOf } from './helpers/config.js';
import { goodPassword, registerAndLogin, startServer, type TestServer } from './helpers/server.js';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../src/config/index.js';

/* branding.* (CONTRACT §2, issue 16 item 8): checked at load, themed into every hosted page, admitted by the CSP. */

const client = { clientID: 'web', callbackURL: 'https://app.example/cb' };
const csp = (answer: { headers: Headers }) => answer.headers.get('content-security-policy') ?? '';

describe('branding configuration', () => {
  it('defaults to Gatehouse and nothing else', () => {
    expect(parseConfig({}, {}).branding).toEqual({ productName: 'Gatehouse', logoUrl: null, primaryColor: null, css: null });
  });

  it('takes URLs, paths and hex colours, also from the environment', () => {
    const config = parseConfig({ branding: { productName: ' Acme ', logoUrl: 'https://cdn.example/logo.svg', css: '/brand/site.css' } }, { GATEHOUSE_BRANDING__PRIMARY_COLOR: '#0B5FFF' });
    expect(config.branding).toEqual({ productName: 'Acme', logoUrl: 'https://cdn.example/logo.svg', css: '/brand/site.css', primaryColor: '#0b5fff' });
    expect(parseConfig({ branding: { primaryColor: '#06c' } }, {}).branding.primaryColor).toBe('#06c');
  });

  it('takes the example of docs/configuration.md as written', () => {
    const docs = readFileSync('docs/configuration.md', 'utf8');
    const example = /### branding[\s\S]*?```yaml\n([\s\S]*?)```/.exec(docs)![1]!;
    expect(parseConfig(parseYaml(example), {}).branding).toEqual({
      productName: 'Acme Accounts', logoUrl: 'https://cdn.acme.example/logo.svg', primaryColor: '#7c3aed', css: 'https://cdn.acme.example/accounts.css',
    });
  });

  it('refuses bad values with one line per key', () => {
    expect(problemsOf({ branding: { primaryColor: 'red', logoUrl: 'javascript:alert(1)', css: 'ftp://x.example/a.css', productName: '' } })).toEqual([
      expect.stringMatching(/^branding\.productName: must not be empty/),
      expect.stringMatching(/^branding\.logoUrl: must be an http\(s\) URL or a path starting with "\/"/),
      expect.stringMatching(/^branding\.primaryColor: must be a hex colour such as "#0b5fff"/),
      expect.stringMatching(/^branding\.css: must be an http\(s\) URL or a path starting with "\/"/),
    ]);
    expect(problemsOf({ branding: { primaryColor: '#0b5fff;}body{display:none' } })).toEqual([expect.stringMatching(/^branding\.primaryColor: must be a hex colour/)]);
    expect(problemsOf({ branding: { logoUrl: 'https://user:pw@cdn.example/logo.svg' } })).toEqual(['branding.logoUrl: must not contain a user name or password']);
    expect(problemsOf({ branding: { css: 'https://cdn.example/a.css"><script>' } })).toEqual([expect.stringMatching(/^branding\.css: must not contain spaces, quotes/)]);
    expect(problemsOf({ branding: { logo: 'x' } })).toEqual([expect.stringMatching(/^branding\.logo: unknown key/)]);
  });
});

describe('branded hosted pages', () => {
  let branded: TestServer;
  let plain: TestServer;
  beforeAll(async () => {
    branded = await startServer('sqlite', {
      config: {
        clients: [client],
        branding: { productName: 'Acme Accounts', logoUrl: 'https://cdn.example/acme.svg', primaryColor: '#7c3aed', css: 'https://styles.example/acme.css' },
      },
    });
    plain = await startServer('sqlite', { config: { clients: [client] } });
  });
  afterAll(async () => {
    await branded?.close();
    await plain?.close();
  });

  // A page of each feature: sign-in, registration, reset, account, an error page, a failed link.
  const paths = ['/auth/login?clientID=web', '/auth/register?clientID=web', '/auth/password-reset?clientID=web', '/account', '/auth/login', '/auth/confirm/no-such-token', '/auth/password-reset/no-such-token'];

  it.each(paths)('%s carries the product name, logo, colour and style sheet', async (path) => {
    const answer = await branded.request('GET', path, { headers: { accept: 'text/html' } });
    expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
    expect(answer.text).toMatch(/<title>[^<]+ · Acme Accounts<\/title>/);
    expect(answer.text).toContain('<header class="brand"><img src="https://cdn.example/acme.svg" alt="" height="32"><span>Acme Accounts</span></header>');
    expect(answer.text).toContain(':root{--primary:#7c3aed}');
    expect(answer.text).toContain('<link rel="stylesheet" href="https://styles.example/acme.css">');
    expect(answer.text).not.toContain('Gatehouse');
    expect(csp(answer)).toContain("style-src 'unsafe-inline' https://styles.example;");
    expect(csp(answer)).toContain('img-src https://cdn.example;');
    expect(csp(answer)).toContain("default-src 'none'");
  });

  it.each(paths)('%s admits no image or style origin when none is configured', async (path) => {
    const answer = await plain.request('GET', path, { headers: { accept: 'text/html' } });
    expect(answer.text).toMatch(/<title>[^<]+ · Gatehouse<\/title>/);
    expect(answer.text).toContain('<header class="brand"><span>Gatehouse</span></header>');
    expect(answer.text).not.toContain('<link rel="stylesheet"');
    expect(answer.text).not.toContain('<img');
    expect(csp(answer)).toMatch(/style-src 'unsafe-inline';/);
    expect(csp(answer)).not.toContain('img-src');
  });

  it('admits a path on this server as \'self\'', async () => {
    const local = await startServer('sqlite', { config: { clients: [client], branding: { logoUrl: '/brand/logo.png', css: '/brand/site.css' } } });
    try {
      const answer = await local.request('GET', '/auth/login?clientID=web');
      expect(csp(answer)).toContain("style-src 'unsafe-inline' 'self';");
      expect(csp(answer)).toContain("img-src 'self';");
    } finally {
      await local.close();
    }
  });

  it('lets pages run only script files of this origin: the account page (local times), the login page (passkeys)', async () => {
    // The login page's passkey script fetches the ceremony's options from this origin; no inline script anywhere.
    expect(csp(await plain.request('GET', '/auth/login?clientID=web'))).toMatch(/script-src 'self'; connect-src 'self';/);
    expect(csp(await plain.request('GET', '/account'))).not.toContain('script-src');
    // Signed in, the session list's times are rewritten by the script file.
    await registerAndLogin(plain, 'brand@example.com');
    const login = await plain.request('POST', '/auth/cookie', { body: `auth_username=brand%40example.com&auth_password=${encodeURIComponent(goodPassword)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const cookie = login.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
    const account = await plain.request('GET', '/account', { headers: { cookie } });
    expect(account.text).toContain('<script src="/assets/local-time.js" defer></script>');
    expect(account.text).toMatch(/<time datetime="\d{4}-\d\d-\d\dT[\d:.]+Z" data-local>\d{4}-\d\d-\d\d \d\d:\d\d UTC<\/time>/);
    expect(csp(account)).toContain("script-src 'self'");
    const script = await plain.request('GET', '/assets/local-time.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.text).toContain("querySelectorAll('time[data-local]')");
  });
});
