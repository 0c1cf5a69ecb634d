import { createServer, type Server } from 'node:http';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './helpers/chromium.js';
import { uniqueEmail } from './helpers/mfa.js';
import { freePort } from './helpers/ports.js';
import { registerAndLogin, startServer, type TestServer } from './helpers/server.js';
import { auditEvents, claimsOf } from './helpers/webauthn.js';
import { ceremonyInPage, pageWithAuthenticator, type CeremonyArgs } from './helpers/webauthn-browser.js';

/** A page of another origin (same RP ID `localhost`, another port): an HTTP server of its own. */
function startOtherOrigin(port: number): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<!doctype html><title>another site</title><h1>another site</h1>');
    });
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/**
 * Passkeys in Debian's Chromium with its virtual authenticator (DevTools `WebAuthn`: ctap2, internal transport, resident
 * keys, user verification), end to end against the server at `http://localhost:<port>` — WebAuthn needs a secure
 * context and a domain as RP ID, which `localhost` is and `127.0.0.1` is not.
 */
describe('passkeys in a real browser (Debian chromium, virtual authenticator)', () => {
  let server: TestServer;
  let other: Server;
  let base: string;
  let otherBase: string;
  let chromium: Browser;
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  let authenticatorId: string;
  let user: { email: string; userId: string; accessToken: string };
  let passkeyId: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://localhost:${port}`;
    server = await startServer('sqlite', { port, config: { server: { baseUrl: base } } });
    const otherPort = await freePort();
    otherBase = `http://localhost:${otherPort}`;
    other = await startOtherOrigin(otherPort);
    const email = uniqueEmail('chromium');
    user = { email, ...(await registerAndLogin(server, email)) };
    chromium = await launchChromium();
    context = await chromium.newContext();
    ({ page, cdp, authenticatorId } = await pageWithAuthenticator(context));
    // Swagger UI's page at /docs: of the server's origin, and its CSP lets scripts fetch the server (connect-src 'self').
    await page.goto(`${base}/docs`);
  });
  afterAll(async () => {
    await context?.close();
    await chromium?.close();
    await server?.close();
    other?.close();
  });

  const ceremony = (args: CeremonyArgs) => page.evaluate(ceremonyInPage, args);
  const storedCount = async () => Number((await server.app.services.database.db.selectFrom('passkeys').select('sign_count').where('id', '=', passkeyId).executeTakeFirstOrThrow()).sign_count);

  it('registers a passkey for a signed-in account (bearer token): a resident credential for RP localhost, recovery codes once', async () => {
    const done = await ceremony({ kind: 'create', optionsPath: '/api/auth/passkeys/options', token: user.accessToken, post: { path: '/api/auth/passkeys', body: { name: 'Chromium' } } });
    expect(done.status, JSON.stringify(done.body)).toBe(201);
    expect(done.body).toMatchObject({ name: 'Chromium', recoveryCodes: expect.any(Array) });
    passkeyId = done.body.id;
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]).toMatchObject({ rpId: 'localhost', isResidentCredential: true, credentialId: done.credential.rawId.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (done.credential.rawId.length % 4)) % 4) });
    expect(Buffer.from(credentials[0]!.userHandle!, 'base64').toString('utf8')).toBe(user.userId);
  });

  it('signs in without a password (empty allow-list): an OAuthToken whose amr is hwk+mfa; the same assertion posted again is refused', async () => {
    const done = await ceremony({ kind: 'get', optionsPath: '/api/auth/passkey/options', post: { path: '/api/auth/passkey/login', body: {} } });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.userId).toBe(user.userId);
    expect(claimsOf(done.body.accessToken).amr).toEqual(['hwk', 'mfa']);
    expect(await storedCount()).toBeGreaterThan(0);
    const replay = await server.request('POST', '/api/auth/passkey/login', { json: { credential: done.credential } });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('invalid-credentials');
    expect(replay.body.detail).toMatch(/challenge/);
  });

  it('a password login stops at mfa-required offering webauthn; the passkey in the browser finishes it (amr pwd+hwk+mfa)', async () => {
    const login = await server.request('POST', '/api/auth/login', { json: { email: user.email, password: 'Correct-Horse-42' } });
    expect(login.status).toBe(401);
    expect(login.body.methods).toContain('webauthn');
    const { mfaToken } = login.body;
    const done = await ceremony({ kind: 'get', optionsPath: '/api/auth/mfa/webauthn/options', optionsBody: { mfaToken }, post: { path: '/api/auth/mfa/verify', body: { mfaToken, method: 'webauthn' } } });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(claimsOf(done.body.accessToken).amr).toEqual(['pwd', 'hwk', 'mfa']);
  });

  it('a page of another origin: its assertion (same RP ID) is refused for its origin; an IP origin cannot even ask for one', async () => {
    const options = await server.request('POST', '/api/auth/passkey/options');
    await page.goto(`${otherBase}/`);
    const { credential } = await ceremony({ kind: 'get', options: options.body });
    expect(JSON.parse(Buffer.from(credential.response.clientDataJSON, 'base64url').toString('utf8')).origin).toBe(otherBase);
    const refused = await server.request('POST', '/api/auth/passkey/login', { json: { credential } });
    expect(refused.status).toBe(401);
    expect(refused.body.detail).toMatch(/origin/);
    expect((await auditEvents(server, user.userId, 'mfa.passkey-refused')).at(-1)?.data).toMatchObject({ reason: 'origin' });

    await page.goto(`${server.url}/docs`);
    const fresh = await server.request('POST', '/api/auth/passkey/options');
    const error = await ceremony({ kind: 'get', options: fresh.body }).then(() => 'none', (e: Error) => e.message);
    expect(error).toMatch(/SecurityError|not a valid domain|invalid domain/i);
    await page.goto(`${base}/docs`);
  });

  it('a credential re-added with a lower signature counter than stored is refused, and the passkey is disabled (audited)', async () => {
    const [credential] = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
    const stored = await storedCount();
    // The authenticator counted the other origin's assertion too, which the server refused and did not store.
    expect(credential!.signCount).toBeGreaterThanOrEqual(stored);
    await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: credential!.credentialId });
    await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...credential!, signCount: stored - 2 } });
    const done = await ceremony({ kind: 'get', optionsPath: '/api/auth/passkey/options', post: { path: '/api/auth/passkey/login', body: {} } });
    expect(done.status).toBe(401);
    expect(done.body.detail).toMatch(/counter/);
    const list = await server.request('GET', '/api/auth/passkeys', { token: user.accessToken });
    expect(list.body).toEqual([expect.objectContaining({ id: passkeyId, disabled: true })]);
    expect(await auditEvents(server, user.userId, 'mfa.passkey-disabled')).toHaveLength(1);
    // Disabling it does not turn the password alone back into a way in: the account still has a second factor, and
    // now answers it with a recovery code only (a passkey it cannot use is not offered).
    const login = await server.request('POST', '/api/auth/login', { json: { email: user.email, password: 'Correct-Horse-42' } });
    expect(login.status).toBe(401);
    expect(login.body).toMatchObject({ code: 'mfa-required', methods: ['recovery'] });
  });
});
