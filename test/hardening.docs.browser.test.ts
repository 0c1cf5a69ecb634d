import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from './helpers/chromium.js';
import { startServer, type TestServer } from './helpers/server.js';

/** The API reference page works under its Content-Security-Policy (issue 14, item 9): Chromium reports no violation. */
describe('/docs under its CSP in a real browser (Debian chromium)', () => {
  let server: TestServer;
  let chromium: Browser;
  beforeAll(async () => {
    server = await startServer('sqlite');
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await server?.close();
  });

  it('renders the operations and reports no CSP violation', async () => {
    const context = await chromium.newContext();
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      const messages: string[] = [];
      page.on('console', (message) => messages.push(`${message.type()}: ${message.text()}`));
      page.on('pageerror', (error) => messages.push(`pageerror: ${error.message}`));
      await page.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (event) => console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`));
      });
      const answer = await page.goto(`${server.url}/docs/`);
      expect(answer?.headers()['content-security-policy']).toContain("default-src 'none'");
      await page.locator('.swagger-ui .info .title').filter({ hasText: 'Gatehouse' }).waitFor();
      await page.locator('.opblock-summary-path', { hasText: '/api/auth/login' }).first().waitFor();
      // Open one operation: its schema and example render from the spec the page fetched.
      await page.locator('.opblock-summary', { hasText: '/api/auth/login' }).first().click();
      await page.locator('.opblock-body').first().waitFor();
      await screenshot(page, 'docs-under-csp');
      expect(messages.filter((m) => /content security policy|csp violation|refused to/i.test(m))).toEqual([]);
      expect(messages.filter((m) => m.startsWith('error') || m.startsWith('pageerror'))).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
