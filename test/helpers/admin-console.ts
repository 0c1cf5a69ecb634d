/// <reference lib="dom" />
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import { launchChromium } from './chromium.js';
import { goodPassword, registerAndLogin, startServer, type Dialect, type StartOptions, type TestServer } from './server.js';

/*
 * What the admin console's suites share: a server with a cast of accounts of every rank, Chromium pages that collect
 * CSP refusals, the console's sign-in, and axe-core run inside the page.
 */

export const BOOTSTRAP_PASSWORD = 'bootstrap-pw';

/** Who is who on a console test server. */
export interface ConsoleCast {
  server: TestServer;
  /** The bootstrap admin: a sysadmin, user name `admin`. */
  sysId: string;
  sysToken: string;
  /** An `admin` (role). */
  carol: { userId: string; email: string; accessToken: string };
  /** A plain user: no console permission. */
  alice: { userId: string; email: string; accessToken: string };
  /** Holds only `accounts:read`, through the group `readers`. */
  reader: { userId: string; email: string; accessToken: string };
  /** The id of the group `readers` (grants `accounts:read`). */
  readersId: string;
}

/** Starts a server and gives it the cast; `label` keeps e-mails apart when one suite starts several. */
export async function startConsoleServer(dialect: Dialect, options: StartOptions = {}, label = 'c'): Promise<ConsoleCast> {
  const server = await startServer(dialect, { ...options, env: { GATEHOUSE_ADMIN_PASSWORD: BOOTSTRAP_PASSWORD, ...options.env } });
  const login = await server.request('POST', '/api/auth/login', { json: { username: 'admin', password: BOOTSTRAP_PASSWORD } });
  expect(login.status, login.text).toBe(200);
  const sysToken = login.body.accessToken as string;
  const person = async (name: string) => {
    const email = `${name}-${label}@example.com`;
    return { ...(await registerAndLogin(server, email)), email };
  };
  const carol = await person('carol');
  const alice = await person('alice');
  const reader = await person('reader');
  expect((await server.request('PUT', `/groups/admin/accounts/${carol.userId}`, { token: sysToken })).status).toBe(204);
  const readers = await server.request('POST', '/groups', { token: sysToken, json: { name: 'readers', permissions: ['accounts:read'], accounts: [reader.userId] } });
  expect(readers.status, readers.text).toBe(201);
  return { server, sysId: login.body.userId, sysToken, carol, alice, reader, readersId: readers.body.id };
}

/** A console suite's fixture: the cast's server, Chromium, and a page on which the sysadmin is signed in. */
export interface SysadminConsole {
  cast: ConsoleCast;
  chromium: Browser;
  sys: ConsolePage;
}

/**
 * Starts a console server (startConsoleServer), runs `prepare` on it (events a suite wants before anyone signs in),
 * launches Chromium and signs the sysadmin in: the `beforeAll` of most console suites.
 */
export async function openSysadminConsole(
  dialect: Dialect,
  options: StartOptions = {},
  label = 'c',
  prepare: (cast: ConsoleCast) => Promise<void> = async () => {},
): Promise<SysadminConsole> {
  const cast = await startConsoleServer(dialect, options, label);
  await prepare(cast);
  const chromium = await launchChromium();
  const sys = await openPage(chromium);
  await signIn(sys.page, cast.server, 'admin', BOOTSTRAP_PASSWORD);
  return { cast, chromium, sys };
}

/** The `afterAll` of openSysadminConsole: closes whatever of it was opened (a failed `beforeAll` leaves parts). */
export async function closeConsole(opened: Partial<SysadminConsole> | undefined): Promise<void> {
  await opened?.sys?.context.close();
  await opened?.chromium?.close();
  await opened?.cast?.server.close();
}

/** A Chromium page whose CSP refusals are collected, so a test can say the page needed nothing the CSP forbids. */
export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  cspViolations: string[];
}

/** A fresh context (no cookies) and page. */
export async function openPage(chromium: Browser, options: Parameters<Browser['newContext']>[0] = {}): Promise<ConsolePage> {
  const context = await chromium.newContext({ locale: 'en-US', ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const cspViolations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  return { context, page, cspViolations };
}

export { launchChromium };

/** Signs in on `/admin/sign-in` by typing, as a person would; lands wherever the console sends them. */
export async function signIn(page: Page, server: TestServer, login: string, password = goodPassword): Promise<void> {
  await page.goto(`${server.url}/admin/sign-in`);
  await page.locator('#login').fill(login);
  await page.locator('#password').fill(password);
  await page.locator('#password').press('Enter');
  await page.waitForLoadState();
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's serious and critical violations on the page as it is now. Why through `page.evaluate` and not a script
 * tag: the console's CSP refuses inline script, and evaluating through the DevTools protocol is not page script, so
 * the page keeps its real CSP while it is checked.
 */
export async function seriousAxeViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: unknown): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: unknown }> }> }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => JSON.stringify(n.target)).slice(0, 3) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.targets.join(' ')}`);
}

/** Expects no serious or critical axe violation, and that nothing on the page was refused by its CSP. */
export async function expectAccessible(consolePage: ConsolePage): Promise<void> {
  expect(await seriousAxeViolations(consolePage.page)).toEqual([]);
  expect(consolePage.cspViolations).toEqual([]);
}

/** The id of the account with this username or e-mail, straight from the database; null when there is none. */
export async function accountIdOf(server: TestServer, login: string): Promise<string | null> {
  const db = server.app.services.database.db;
  const row = await db.selectFrom('accounts').select('id').where((eb) => eb.or([eb('username', '=', login), eb('email', '=', login)])).executeTakeFirst();
  return row?.id ?? null;
}

/** The audit events of one type about one account, oldest first, with their data parsed. */
export async function auditEvents(server: TestServer, type: string, accountId: string): Promise<Array<Record<string, unknown>>> {
  const db = server.app.services.database.db;
  const rows = await db.selectFrom('audit_events').select('data').where('type', '=', type).where('account_id', '=', accountId).orderBy('id').execute();
  return rows.map((row) => (row.data ? JSON.parse(row.data) : {}));
}

/** How many live (unrevoked) sessions an account has. */
export async function liveSessions(server: TestServer, accountId: string): Promise<number> {
  const db = server.app.services.database.db;
  const rows = await db.selectFrom('sessions').select('id').where('account_id', '=', accountId).where('revoked_at', 'is', null).execute();
  return rows.length;
}
