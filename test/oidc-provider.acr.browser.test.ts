import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './helpers/chromium.js';
import { addTotp, oathtool, STEP, uniqueEmail } from './helpers/mfa.js';
import { addOidcClient, startRelyingParty, type RelyingParty } from './helpers/oidc-clients.js';
import {
  authorizationRequest, backAtRelyingParty, browserSessionOf, issuedTokenCount, pagesShownDuring, submitHostedLogin, verifiedIdToken,
  type AuthorizationRequest,
} from './helpers/oidc-flow.js';
import { dialects, registerAndLogin, startServer, type TestServer } from './helpers/server.js';

const LOA1 = 'urn:gatehouse:loa:1';
const LOA2 = 'urn:gatehouse:loa:2';
/** `claims` making the multi-factor class essential (OIDC Core §5.5.1.1). */
const ESSENTIAL_LOA2 = JSON.stringify({ id_token: { acr: { essential: true, value: LOA2 } } });

/**
 * `acr_values=urn:gatehouse:loa:2` demands a second factor (step-up, as Keycloak's): a person whose Gatehouse session
 * is single-factor is asked for the second factor only — never the password again — and the session is raised; a
 * multi-factor session is single sign-on; an account without a factor gets the single-factor class (acr_values are
 * voluntary), unless `claims` made the class essential: `unmet_authentication_requirements`. In Chromium, codes by oathtool.
 */
describe.each(dialects)('acr_values demanding a second factor (%s, Chromium)', (dialect) => {
  let server: TestServer;
  let rp: RelyingParty;
  let chromium: Browser;
  let context: BrowserContext;
  let page: Page;
  const secret = 'acr-secret-0123456789abcdef-0123456789';
  const alpha = { id: 'alpha', secret };
  const beta = { id: 'beta', secret };
  const gamma = { id: 'gamma', secret };
  let redirectUri = '';
  /** Signs in first with a password only, sets up TOTP afterwards: a single-factor session of an account with a factor. */
  let stepper: { email: string; userId: string; accessToken: string; secret: string };
  /** Another account with TOTP, whose codes must not answer the stepper's step-up. */
  let stranger: { secret: string };
  let plain: { email: string; userId: string };

  beforeAll(async () => {
    rp = await startRelyingParty('127.0.0.1');
    redirectUri = `${rp.origin}/cb`;
    server = await startServer(dialect, { host: '127.0.0.3' });
    for (const client of [alpha, beta, gamma]) await addOidcClient(server, client.id, { redirectUris: [redirectUri], firstParty: true }, secret);
    const email = uniqueEmail('stepper');
    stepper = { email, ...(await registerAndLogin(server, email)), secret: '' };
    const strangerLogin = await registerAndLogin(server, uniqueEmail('stranger'));
    stranger = await addTotp(server, strangerLogin.accessToken);
    const plainEmail = uniqueEmail('plain');
    plain = { email: plainEmail, userId: (await registerAndLogin(server, plainEmail)).userId };
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await context?.close();
    await chromium?.close();
    await server?.close();
    await rp?.close();
  });

  const freshBrowser = async () => {
    await context?.close();
    context = await chromium.newContext({ locale: 'en-US' });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
  };

  const idToken = (request: AuthorizationRequest, callback: URL, client: { id: string; secret: string }) => verifiedIdToken(server, request, callback, client);
  const browserSession = () => browserSessionOf(server, context);

  const failuresOf = async (accountId: string) => {
    const row = await server.app.services.database.db.selectFrom('login_attempts').select('failures').where('login_key', '=', `account:${accountId}`).executeTakeFirst();
    return Number(row?.failures ?? 0);
  };

  /** Every interaction uid the pages shown belong to: one per authorization; a loop would make new ones. */
  const interactionsIn = (shown: string[]) => new Set(shown.map((url) => /\/oidc\/interaction\/([^/?]+)/.exec(url)?.[1]).filter(Boolean));

  it('a single-factor session asked for loa:2: the code page only (no password), wrong and foreign codes refused and counted, then acr loa:2, the session raised', async () => {
    await freshBrowser();
    // A password sign-in for alpha, before the account has a factor: the Gatehouse session is single-factor.
    const first = authorizationRequest(server, alpha.id, redirectUri, { scope: 'openid' });
    await page.goto(first.url.href);
    await submitHostedLogin(page, stepper.email);
    expect(await idToken(first, await backAtRelyingParty(page, rp), alpha)).toMatchObject({ sub: stepper.userId, acr: LOA1 });
    const before = await browserSession();
    expect(before.amr).toBe('pwd');
    stepper.secret = (await addTotp(server, stepper.accessToken)).secret;

    const request = authorizationRequest(server, beta.id, redirectUri, { scope: 'openid', acr_values: `${LOA2} ${LOA1}` });
    const tokensBefore = await issuedTokenCount(server);
    let callback!: URL;
    const shown = await pagesShownDuring(page, async () => {
      await page.goto(request.url.href);
      await page.locator('#totp-code').waitFor();
      expect(await page.locator('input[name=password]').count(), 'the password is not asked again').toBe(0);
      await page.locator('#totp-code').fill('000000');
      await page.locator('#totp-code').press('Enter');
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('That code is wrong or was already used.');
      // The code of another account's authenticator is wrong here too: the step-up is the session's account's.
      await page.locator('#totp-code').fill(oathtool(stranger.secret, server.clock.now()));
      await page.locator('#totp-code').press('Enter');
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('That code is wrong or was already used.');
      expect(await failuresOf(stepper.userId), 'wrong codes count toward the account\'s lockout').toBe(2);
      expect(await issuedTokenCount(server), 'no code or token for a wrong code').toBe(tokensBefore);
      expect(rp.visits.filter((url) => url.searchParams.get('state') === request.state)).toHaveLength(0);
      server.clock.advance(STEP);
      await page.locator('#totp-code').fill(oathtool(stepper.secret, server.clock.now()));
      await page.locator('#totp-code').press('Enter');
      callback = await backAtRelyingParty(page, rp);
    });
    expect(shown.some((url) => new URL(url).pathname === '/auth/login'), shown.join('\n')).toBe(false);
    expect(interactionsIn(shown).size, `one interaction, no loop:\n${shown.join('\n')}`).toBe(1);
    expect(rp.visits.filter((url) => url.searchParams.get('state') === request.state)).toHaveLength(1);
    const claims = await idToken(request, callback, beta);
    expect(claims).toMatchObject({ sub: stepper.userId, acr: LOA2 });
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    // The Gatehouse session itself is raised (same id and cookie), as Keycloak raises its session's level.
    const after = await browserSession();
    expect(after.id).toBe(before.id);
    expect(after.amr?.split(' ')).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    expect(await failuresOf(stepper.userId), 'the right code starts the count again').toBe(0);
  });

  it('the raised session is multi-factor: the next app asking for loa:2 gets it by single sign-on, no page shown', async () => {
    const request = authorizationRequest(server, gamma.id, redirectUri, { scope: 'openid', acr_values: LOA2 });
    let callback!: URL;
    const shown = await pagesShownDuring(page, async () => {
      await page.goto(request.url.href);
      callback = await backAtRelyingParty(page, rp);
    });
    expect(shown.some((url) => new URL(url).pathname.startsWith('/auth/')), shown.join('\n')).toBe(false);
    const claims = await idToken(request, callback, gamma);
    expect(claims).toMatchObject({ sub: stepper.userId, acr: LOA2 });
    expect(claims.amr).toEqual(expect.arrayContaining(['otp', 'mfa']));
  });

  it('an account without a second factor asking for loa:2: the password login, then acr loa:1 (voluntary); again: single sign-on with loa:1, no loop', async () => {
    await freshBrowser();
    const request = authorizationRequest(server, alpha.id, redirectUri, { scope: 'openid', acr_values: LOA2 });
    await page.goto(request.url.href);
    await submitHostedLogin(page, plain.email);
    expect(await idToken(request, await backAtRelyingParty(page, rp), alpha)).toMatchObject({ sub: plain.userId, acr: LOA1, amr: ['pwd'] });

    const again = authorizationRequest(server, beta.id, redirectUri, { scope: 'openid', acr_values: LOA2 });
    let callback!: URL;
    const shown = await pagesShownDuring(page, async () => {
      await page.goto(again.url.href);
      callback = await backAtRelyingParty(page, rp);
    });
    expect(shown.some((url) => new URL(url).pathname.startsWith('/auth/')), shown.join('\n')).toBe(false);
    expect(interactionsIn(shown).size, shown.join('\n')).toBeLessThanOrEqual(1);
    expect(await idToken(again, callback, beta)).toMatchObject({ sub: plain.userId, acr: LOA1 });
  });

  it('the same account with loa:2 made essential (claims): unmet_authentication_requirements to the app, no code', async () => {
    const request = authorizationRequest(server, gamma.id, redirectUri, { scope: 'openid', claims: ESSENTIAL_LOA2 });
    const tokensBefore = await issuedTokenCount(server);
    await page.goto(request.url.href);
    const callback = await backAtRelyingParty(page, rp);
    expect(callback.searchParams.get('error')).toBe('unmet_authentication_requirements');
    expect(callback.searchParams.get('state')).toBe(request.state);
    expect(callback.searchParams.has('code')).toBe(false);
    expect(await issuedTokenCount(server)).toBe(tokensBefore);
  });

  it('prompt=none asking for loa:2 from a single-factor session: login_required (the provider cannot ask), no code', async () => {
    const request = authorizationRequest(server, alpha.id, redirectUri, { scope: 'openid', acr_values: LOA2, prompt: 'none' });
    await page.goto(request.url.href);
    const callback = await backAtRelyingParty(page, rp);
    expect([callback.searchParams.get('error'), callback.searchParams.has('code')]).toEqual(['login_required', false]);
    // Without acr_values the same browser is single sign-on for the same app (its grant exists), so the refusal is the class's.
    const plainRequest = authorizationRequest(server, alpha.id, redirectUri, { scope: 'openid', prompt: 'none' });
    await page.goto(plainRequest.url.href);
    expect(await idToken(plainRequest, await backAtRelyingParty(page, rp), alpha)).toMatchObject({ sub: plain.userId, acr: LOA1 });
  });

  it('the claims parameter asks for acr and auth_time only: another claim is invalid_request', async () => {
    const request = authorizationRequest(server, gamma.id, redirectUri, { scope: 'openid', claims: JSON.stringify({ id_token: { roles: null } }) });
    await page.goto(request.url.href);
    const callback = await backAtRelyingParty(page, rp);
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('error_description')).toContain('acr');
  });
});
