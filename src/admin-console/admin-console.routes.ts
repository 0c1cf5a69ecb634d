import formbody from '@fastify/formbody';
import type { FastifyPluginAsync } from 'fastify';
import { html } from '../pages/layout.js';
import { at } from './admin-messages.js';
import { adminPageErrors, CONSOLE_PATH, sendAdminPage } from './admin-page.js';
import { adminStyleRoutes } from './admin-style.js';
import { apiKeysPageRoutes, type ApiKeysConsoleDeps } from './api-keys-page.routes.js';
import { copyScriptRoutes } from './copy-script.js';
import { invitesPageRoutes, type InvitesConsoleDeps } from './invites-page.routes.js';
import type { AccountDetailDeps } from './account-detail.data.js';
import { accountDetailRoutes } from './account-detail.routes.js';
import { accountListRoutes, type AccountListDeps } from './account-list.routes.js';
import { auditPageRoutes, type AuditConsoleDeps } from './audit-page.routes.js';
import { configPageRoutes } from './config-page.routes.js';
import type { ClientConsoleDeps } from './client-page.data.js';
import { clientPageRoutes } from './client-pages.routes.js';
import { consoleCaller } from './console-access.js';
import type { GroupConsoleDeps } from './group-page.data.js';
import { groupPageRoutes } from './group-pages.routes.js';
import { keysPageRoutes, type KeysConsoleDeps } from './keys-page.routes.js';
import { consoleSignInRoutes, type ConsoleSignInDeps } from './sign-in.routes.js';

/** Everything the console uses; the composition root (app.ts) hands each part the services the JSON API uses. */
export type AdminConsoleDeps = ConsoleSignInDeps & AccountListDeps & AccountDetailDeps & GroupConsoleDeps & AuditConsoleDeps & KeysConsoleDeps
  & ApiKeysConsoleDeps & InvitesConsoleDeps
  & ClientConsoleDeps;

/**
 * `GET /admin` and everything under it (CONTRACT §5 "Admin console"; docs/admin-console.md): server-rendered pages in
 * the hosted pages' frame, signed in through the cookie sign-in, every page gated by the permission its part needs and
 * every change made by the service behind the JSON route that makes it.
 */
export const adminConsoleRoutes: FastifyPluginAsync<AdminConsoleDeps> = async (app, deps) => {
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  await app.register(adminStyleRoutes);
  await app.register(copyScriptRoutes);
  await app.register(consoleSignInRoutes, deps);

  app.get(CONSOLE_PATH, {
    errorHandler: adminPageErrors(deps.serverKey),
    schema: { tags: ['admin console'], summary: 'The admin console’s overview (HTML): the sections the caller’s permissions open' },
  }, async (request, reply) => {
    const caller = await consoleCaller(request, deps);
    const { lang } = caller;
    const me = await deps.accountAdmin.read(caller.actor, caller.accountId);
    const cards = caller.sections.map((section) => html`<li><h2><a href="${section.path}">${at(lang, section.label)}</a></h2><p>${at(lang, section.summary)}</p></li>`);
    const body = html`<p>${at(lang, 'nav.signedInAs', { name: me.email ?? me.username })}</p>
<p>${at(lang, 'home.intro')}</p><ul class="cards">${cards}</ul>`;
    return sendAdminPage(reply, { title: at(lang, 'home.title'), body, lang, caller, current: CONSOLE_PATH });
  });

  await app.register(accountListRoutes, deps);
  await app.register(accountDetailRoutes, deps);
  await app.register(groupPageRoutes, deps);
  await app.register(auditPageRoutes, deps);
  await app.register(keysPageRoutes, deps);
  await app.register(configPageRoutes, deps);
  await app.register(apiKeysPageRoutes, deps);
  await app.register(invitesPageRoutes, deps);
  await app.register(clientPageRoutes, deps);
};
