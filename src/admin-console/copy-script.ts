import type { FastifyPluginAsync } from 'fastify';
import type { Lang } from '../pages/i18n.js';
import { html, type SafeHtml } from '../pages/layout.js';
import { at } from './admin-messages.js';

/** Where the console's "Copy" script is served; console pages send `script-src 'self'`, which admits it (admin-page.ts). */
export const COPY_SCRIPT_PATH = '/assets/admin-copy.js';

/*
 * "Copy" for a secret shown once (an API key's token, invitation codes). Progressive enhancement: without script the
 * value is still there as selected-on-focus text in a read-only field, and the button stays hidden (`hidden`), so no
 * dead button is ever shown. A file and not inline because the console's CSP admits no inline script. The clipboard
 * API needs a secure context (HTTPS or localhost); elsewhere the field's text is selected and `execCommand('copy')`
 * tried, and either way the status line says what happened.
 */
const COPY_SOURCE = `// Gatehouse admin console: the Copy buttons of read-only fields (button[data-copy] names the field's id).
for (const button of document.querySelectorAll('button[data-copy]')) {
  const target = document.getElementById(button.dataset.copy);
  const status = document.getElementById(button.dataset.copy + '-status');
  if (!target) continue;
  button.hidden = false;
  button.addEventListener('click', async () => {
    target.focus();
    target.select();
    let copied = false;
    try {
      await navigator.clipboard.writeText(target.value);
      copied = true;
    } catch {
      copied = document.execCommand && document.execCommand('copy');
    }
    if (status) status.textContent = copied ? button.dataset.copied : button.dataset.failed;
  });
}
`;

/** Serves the Copy script. */
export const copyScriptRoutes: FastifyPluginAsync = async (app) => {
  app.get(COPY_SCRIPT_PATH, { schema: { hide: true } }, async (_request, reply) =>
    reply.header('content-type', 'text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(COPY_SOURCE));
};

/** The words of a copy field: its label, the button, and what the status line says after a click. */
export interface CopyWords {
  label: string;
  copy: string;
  copied: string;
  failed: string;
}

/** The console's words for a copy field labelled `label`. */
export function copyWords(lang: Lang, label: string): CopyWords {
  return { label, copy: at(lang, 'copy.copy'), copied: at(lang, 'copy.copied'), failed: at(lang, 'copy.failed') };
}

/**
 * A secret as read-only, selectable text with a Copy button (hidden until the script shows it) and a status line
 * announced to screen readers. `rows` above 1 makes it a text area (several codes, one a line).
 */
export function copyField(id: string, value: string, words: CopyWords, rows = 1): SafeHtml {
  const input = rows > 1
    ? html`<textarea id="${id}" readonly rows="${rows}" spellcheck="false">${value}</textarea>`
    : html`<input id="${id}" type="text" readonly value="${value}" spellcheck="false" autocomplete="off">`;
  return html`<div class="copy"><label for="${id}">${words.label}</label>${input}
<div class="actions"><button type="button" class="secondary" data-copy="${id}" data-copied="${words.copied}" data-failed="${words.failed}" hidden>${words.copy}</button><span id="${id}-status" role="status"></span></div></div>`;
}

/** The script tag a page with a copy field adds to its body. */
export function copyScript(): SafeHtml {
  return html`<script src="${COPY_SCRIPT_PATH}" defer></script>`;
}
