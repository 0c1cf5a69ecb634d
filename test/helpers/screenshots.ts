/// <reference lib="dom" />
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { screenshotDir } from './chromium.js';

/*
 * What the screenshot suites (test/pages.screenshots*.browser.test.ts) share: every hosted page in three looks — light
 * (desktop, English), a narrow phone (375 px, English) and German — as the README and docs/ show them
 * (docs/screenshots/). The suites always take them (into test-results/screenshots/) and check each page; `npm run
 * screenshots` (UPDATE_SCREENSHOTS=1) writes them to docs/ instead, so a run of the suite leaves the committed
 * pictures alone. A page without a committed picture fails.
 */

const DOCS = join(process.cwd(), 'docs', 'screenshots');
const OUT = process.env.UPDATE_SCREENSHOTS ? DOCS : join(screenshotDir, 'screenshots');

export interface Variant { name: string; locale: string; viewport: { width: number; height: number } }
export const VARIANTS: Variant[] = [
  { name: 'light', locale: 'en-US', viewport: { width: 640, height: 600 } },
  { name: 'mobile', locale: 'en-US', viewport: { width: 375, height: 740 } },
  { name: 'de', locale: 'de-DE', viewport: { width: 640, height: 600 } },
];

/** A page in a fresh browser profile of `variant`'s look, and what its CSP refused (it must refuse nothing). */
export interface ShotPage { context: BrowserContext; page: Page; cspViolations: string[] }

/** Opens a fresh profile in `variant`'s look: its language, width, the light scheme, one time zone, no scaling. */
export async function openVariant(chromium: Browser, variant: Variant): Promise<ShotPage> {
  mkdirSync(OUT, { recursive: true });
  const context = await chromium.newContext({ locale: variant.locale, viewport: variant.viewport, colorScheme: 'light', timezoneId: 'Europe/Berlin', deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const cspViolations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  return { context, page, cspViolations };
}

/**
 * Checks the page as every picture must pass (the variant's language, a visible heading, nothing wider than the
 * screen, nothing the CSP refused) and takes `<name>-<variant>.png` — the whole page, or only `part` (a section, with
 * a margin) — then fails when docs/screenshots/ has no such picture.
 */
export async function takeShot(shot: ShotPage, variant: Variant, name: string, part?: Locator): Promise<void> {
  const { page } = shot;
  expect(await page.locator('html').getAttribute('lang')).toBe(variant.locale.slice(0, 2));
  expect(await page.locator('h1').isVisible()).toBe(true);
  // Nothing wider than the screen: a phone never scrolls sideways.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(variant.viewport.width);
  expect(shot.cspViolations).toEqual([]);
  const file = `${name}-${variant.name}.png`;
  await page.screenshot({ path: join(OUT, file), fullPage: true, ...(part ? { clip: await clipAround(part, variant) } : {}) });
  expect(existsSync(join(DOCS, file)), `docs/screenshots/${file} is missing: run npm run screenshots`).toBe(true);
}

/** The box of `part` with a margin, within the page's width (page coordinates, as a full-page clip takes them). */
async function clipAround(part: Locator, variant: Variant): Promise<{ x: number; y: number; width: number; height: number }> {
  const margin = 16;
  const box = await part.evaluate((element) => {
    const rect = element.getBoundingClientRect();
    return { x: rect.left + window.scrollX, y: rect.top + window.scrollY, width: rect.width, height: rect.height };
  });
  const x = Math.max(0, box.x - margin);
  const y = Math.max(0, box.y - margin);
  return { x, y, width: Math.min(variant.viewport.width - x, box.width + 2 * margin), height: box.height + 2 * margin };
}
