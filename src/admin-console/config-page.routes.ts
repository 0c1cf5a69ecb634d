import type { FastifyPluginAsync } from 'fastify';
import { MASK, maskSecrets, type Config } from '../config/index.js';
import type { Lang } from '../pages/i18n.js';
import { html, type SafeHtml } from '../pages/layout.js';
import { at } from './admin-messages.js';
import { adminPageErrors, labelledCell, sendAdminPage } from './admin-page.js';
import { consoleCaller, type ConsoleAccessDeps } from './console-access.js';

export const CONFIG_PATH = '/admin/config';

/** What the configuration page reads: the gate and the node's parsed configuration. */
export interface ConfigConsoleDeps extends ConsoleAccessDeps {
  config: Config;
}

/**
 * `GET /admin/config` (`system:config`, CONTRACT §5): the effective configuration as `gatehouse config check` prints
 * it — the same `maskSecrets` (config/mask.ts), so the page can show no secret the command would not — one table per
 * section, one row per setting by its dotted path. Read-only: the configuration is parsed once, at start.
 */
export const configPageRoutes: FastifyPluginAsync<ConfigConsoleDeps> = async (app, deps) => {
  app.get(CONFIG_PATH, { errorHandler: adminPageErrors(deps.serverKey), schema: { tags: ['admin console'], summary: 'The effective configuration, secrets masked (HTML; system:config)' } }, async (request, reply) => {
    const caller = await consoleCaller(request, deps);
    deps.accounts.requirePermission(caller.actor, 'system:config');
    const masked = maskSecrets(deps.config) as Record<string, unknown>;
    const body = configBody(caller.lang, masked);
    return sendAdminPage(reply, { title: at(caller.lang, 'config.title'), body, lang: caller.lang, caller, current: CONFIG_PATH });
  });
};

function configBody(lang: Lang, masked: Record<string, unknown>): SafeHtml {
  const sections = Object.keys(masked);
  const contents = html`<nav aria-labelledby="contents"><h2 id="contents">${at(lang, 'config.contents')}</h2><ul class="inline">${sections.map((name) => html`<li><a href="#config-${name}">${name}</a></li>`)}</ul></nav>`;
  const tables = sections.map((name) => {
    const rows = settingsOf(masked[name], name).map(([path, value]) => html`<tr><th scope="row" data-label="${at(lang, 'config.col.setting')}"><code>${path}</code></th>${labelledCell(at(lang, 'config.col.value'), valueOf(lang, value))}</tr>`);
    return html`<section aria-labelledby="config-${name}"><h2 id="config-${name}">${name}</h2><table class="stack config"><caption>${at(lang, 'config.caption', { section: name })}</caption>
<thead><tr><th scope="col">${at(lang, 'config.col.setting')}</th><th scope="col">${at(lang, 'config.col.value')}</th></tr></thead><tbody>${rows}</tbody></table></section>`;
  });
  return html`<p>${at(lang, 'config.intro', { mask: MASK })}</p>${contents}${tables}`;
}

/** Every leaf setting under `value` by its dotted path (`clients[0].clientId`); an empty list or object is one leaf. */
export function settingsOf(value: unknown, path: string): Array<[string, unknown]> {
  if (Array.isArray(value)) return value.length ? value.flatMap((item, index) => settingsOf(item, `${path}[${index}]`)) : [[path, value]];
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return entries.length ? entries.flatMap(([key, item]) => settingsOf(item, `${path}.${key}`)) : [[path, value]];
  }
  return [[path, value]];
}

function valueOf(lang: Lang, value: unknown): SafeHtml | string {
  if (value === null || (Array.isArray(value) && !value.length)) return html`<span class="hint">${at(lang, 'config.empty')}</span>`;
  return html`<code>${typeof value === 'string' ? value : JSON.stringify(value)}</code>`;
}
