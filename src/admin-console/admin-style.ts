import type { FastifyPluginAsync } from 'fastify';

/** Where the console's style sheet is served; its pages link it after the hosted pages' sheet (layout.ts PageFrame). */
export const ADMIN_STYLE_PATH = '/assets/admin.css';

/*
 * What the console adds to the hosted pages' look: room for tables, the navigation, filter and action rows, and a
 * phone layout where each table row becomes a card whose cells name their column (`data-label`). A file, not inline,
 * so the console's CSP admits no inline style at all.
 */
const ADMIN_STYLE = `body{max-width:72rem}
nav.console{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:.5rem 0;border-bottom:1px solid var(--line)}
nav.console ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0;padding:0}
nav.console a[aria-current=page]{font-weight:700;text-decoration:none;color:var(--text)}
nav.console .who{margin-left:auto;color:var(--muted);font-size:.9rem;overflow-wrap:anywhere}
nav.console form{display:block}
button.secondary,a.button.secondary{background:transparent;color:var(--primary);border:1px solid var(--primary)}
button.danger{background:var(--error);color:#fff}
a.button{display:inline-block;padding:.6rem;border-radius:6px;text-decoration:none}
textarea{padding:.5rem;font-size:1rem;font-family:ui-monospace,monospace;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--text)}
h3{font-size:1rem}
select{padding:.5rem;font-size:1rem;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--text)}
form.filters{grid-template-columns:repeat(auto-fit,minmax(11rem,1fr));align-items:end}
form.filters .wide{grid-column:1/-1}
table.events td:nth-of-type(-n+3),table.events td:nth-of-type(-n+3) code{overflow-wrap:normal}
ul.inline{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}

form.filters>*{min-width:0}form.filters input,form.filters select{min-width:0;max-width:100%;box-sizing:border-box}
.filter-actions{display:flex;flex-wrap:wrap;gap:1rem;align-items:center}
caption{text-align:left;font-weight:600;padding:.35rem 0}
th{white-space:nowrap}td{overflow-wrap:anywhere}th[scope=row]{white-space:normal;overflow-wrap:anywhere}
.pager{display:flex;flex-wrap:wrap;gap:1rem;margin:1rem 0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}dl.facts dt{font-weight:600}dl.facts dd{margin:0;overflow-wrap:anywhere}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:.75rem 0}
.actions form{display:block}
ul.cards{list-style:none;padding:0;display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr))}
ul.cards li{border:1px solid var(--line);border-radius:8px;padding:1rem}
ul.plain{margin:0;padding-left:1.2rem}
code{overflow-wrap:anywhere}
fieldset{border:1px solid var(--line);border-radius:8px;display:grid;gap:.75rem;min-width:0}fieldset.ticks{gap:.25rem}label.tick{display:flex;gap:.5rem;align-items:center}
.notice{border-left:4px solid var(--primary);padding:.5rem .75rem}
.copy{display:grid;gap:.35rem}.copy input,.copy textarea{width:100%;box-sizing:border-box;font-family:ui-monospace,monospace;word-break:break-all}
@media (max-width:40rem){
table.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}
table.stack tr{display:block;border-bottom:1px solid var(--line);padding:.5rem 0}
table.stack td{display:grid;grid-template-columns:7.5rem 1fr;gap:.5rem;border:0;padding:.15rem 0}
table.stack th[scope=row]{display:block;border:0;padding:.15rem 0}
table.stack td::before{content:attr(data-label);font-weight:600;color:var(--muted)}
dl.facts{grid-template-columns:1fr}dl.facts dd{margin-bottom:.4rem}
}`;

/** Serves the console's style sheet. */
export const adminStyleRoutes: FastifyPluginAsync = async (app) => {
  app.get(ADMIN_STYLE_PATH, { schema: { hide: true } }, async (_request, reply) =>
    reply.header('content-type', 'text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(ADMIN_STYLE));
};
