import type { Page } from 'playwright-core';

/**
 * Opens `startUrl` (a Gatehouse provider-login route) and signs in at the test OpenID Provider's own login form
 * (test/helpers/oidc-peer.ts), consenting; Chromium then follows the provider's redirect back by itself. Answers the
 * host the login form was served from.
 */
export async function signInAtProvider(page: Page, startUrl: string, login: string): Promise<string> {
  // The provider's development pages import a web font; the network is closed, so fail that at once.
  await page.context().route(/^https:\/\/fonts\./, (route) => route.abort());
  await page.goto(startUrl);
  const formHost = new URL(page.url()).hostname;
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.locator('button[type="submit"]').click();
  await page.getByRole('button', { name: 'Continue' }).click();
  return formHost;
}
