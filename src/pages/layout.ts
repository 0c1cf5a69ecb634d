import type { FastifyReply } from 'fastify';
import { escapeHtml } from '../email/templates.js';
import { brandingOf, cspSourceOf, DEFAULT_BRANDING, type Branding } from './branding.js';

/** Tags a string as already-safe HTML so `html` does not escape it twice. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** A template tag that escapes every interpolated value unless it is SafeHtml. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((value, i) => {
    const text = Array.isArray(value) ? value.map(String).join('') : value instanceof SafeHtml ? value.value : escapeHtml(String(value ?? ''));
    out += text + strings[i + 1]!;
  });
  return new SafeHtml(out);
}

/*
 * The pages' one style sheet. Colours are custom properties, so `branding.primaryColor` is one declaration and an
 * operator's `branding.css` (linked after it) can override any of them; a dark scheme follows the system setting.
 */
export const PAGE_STYLE = `:root{--primary:#2563eb;--on-primary:#fff;--text:#1f2328;--muted:#57606a;--bg:#fff;--line:#d0d7de;--error:#b42318;--ok:#067647;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--text:#e6edf3;--muted:#9198a1;--bg:#0d1117;--line:#3d444d;--error:#ff7b72;--ok:#3fb950}}
body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:var(--text);background:var(--bg);line-height:1.45}
.brand{display:flex;align-items:center;gap:.6rem;font-weight:600;padding-bottom:.75rem;border-bottom:3px solid var(--primary)}.brand img{max-height:2rem;width:auto}
h1{font-size:1.4rem}h2{font-size:1.1rem}form{display:grid;gap:.75rem}input{padding:.5rem;font-size:1rem;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--text)}
button{padding:.6rem;font-size:1rem;cursor:pointer;border:0;border-radius:6px;background:var(--primary);color:var(--on-primary)}a{color:var(--primary)}
.error{color:var(--error)}.ok{color:var(--ok)}label{display:grid;gap:.25rem}form div{display:grid;gap:.25rem}.field-error{color:var(--error);font-size:.9rem}
.hint{color:var(--muted);font-size:.9rem}.hint ul{margin:.25rem 0 0;padding-left:1.2rem}:focus-visible{outline:3px solid var(--primary);outline-offset:2px}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.35rem;border-bottom:1px solid var(--line);vertical-align:top}section{margin:2rem 0}
td form button{padding:.35rem .6rem;font-size:.9rem}.qr svg{background:#fff}`;

/** Where the pages' style sheet is served as a file (pages/assets.routes.ts), for pages whose CSP admits no inline style. */
export const PAGE_STYLE_PATH = '/assets/pages.css';

/** The pages' style sheet with the branding's primary colour. */
export function pageStyleSheet(branding: Branding = DEFAULT_BRANDING): string {
  // primaryColor is a checked hex colour (config/values.ts), so it cannot end the declaration early.
  return PAGE_STYLE + (branding.primaryColor ? `\n:root{--primary:${branding.primaryColor}}` : '');
}

/** How a page is framed beyond its title and body. */
export interface PageFrame {
  /**
   * Style sheets of this server the page links after the pages' own; with them the pages' style is linked as a file
   * too (PAGE_STYLE_PATH) instead of inlined, so the page's CSP needs no `'unsafe-inline'` (the admin console's).
   */
  styleFiles?: string[];
  /** What stands between the header and `<main>`: the admin console's navigation. */
  nav?: SafeHtml;
}

/**
 * The page frame shared by every hosted page, themed by `branding` (product name in the title and header, logo,
 * primary colour, an extra style sheet). No inline script, so a strict CSP costs nothing.
 */
export function page(title: string, body: SafeHtml, lang = 'en', branding: Branding = DEFAULT_BRANDING, frame: PageFrame = {}): string {
  const logo = branding.logoUrl ? html`<img src="${branding.logoUrl}" alt="" height="32">` : '';
  const style = frame.styleFiles
    ? html`${[PAGE_STYLE_PATH, ...frame.styleFiles].map((href) => html`<link rel="stylesheet" href="${href}">\n`)}`
    : html`<style>\n${new SafeHtml(pageStyleSheet(branding))}\n</style>\n`;
  return html`<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${branding.productName}</title>
${style}${branding.css ? html`<link rel="stylesheet" href="${branding.css}">` : ''}
</head>
<body>
<header class="brand">${logo}<span>${branding.productName}</span></header>
${frame.nav ?? ''}<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>`.value;
}

/** Security headers for hosted pages: no framing (clickjacking), no inline script, no referrer leaking tokens. */
export const pageHeaders = pageHeadersAllowing([]);

/** What a page's CSP admits beyond the default. */
export interface PageAllowances {
  /** Origins a form may lead to (see pageHeadersAllowing). */
  formOrigins?: string[];
  /** Script files of this origin (`script-src 'self'`), for pages that load one (never inline script). */
  scripts?: boolean;
  /**
   * The passkey script (pages/passkey-script.ts): its file, and its `fetch` of the ceremony's options from this origin
   * (`connect-src 'self'`), which `default-src 'none'` would block.
   */
  passkeys?: boolean;
  /** Style sheets as files only, no inline style (see PageFrame): the CSP then drops `'unsafe-inline'`. */
  styleFiles?: string[];
  /** The navigation between header and `<main>` (PageFrame). */
  nav?: SafeHtml;
}

/**
 * Page headers whose CSP also lets forms lead to `origins`: browsers apply `form-action` to the redirect that
 * follows a form post, so a login that delivers its token to a client's callbackURL must name that origin.
 * With `branding`, the logo's and the style sheet's origins are admitted too (only those configured).
 */
export function pageHeadersAllowing(origins: string[], branding: Branding = DEFAULT_BRANDING, scripts = false, fetches = false, styleFilesOnly = false): Record<string, string> {
  const formAction = ["'self'", ...origins].join(' ');
  const styles = [styleFilesOnly ? "'self'" : "'unsafe-inline'", ...(branding.css ? [cspSourceOf(branding.css)] : [])].join(' ');
  const images = branding.logoUrl ? `; img-src ${cspSourceOf(branding.logoUrl)}` : '';
  const script = `${scripts || fetches ? "; script-src 'self'" : ''}${fetches ? "; connect-src 'self'" : ''}`;
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': `default-src 'none'; style-src ${styles}${images}${script}; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  };
}

/**
 * Sends a hosted page, framed and themed by the app's branding, with the page headers (and what `allow` admits).
 * Why one function: every page goes out the same way, so none can miss the theme or the CSP that goes with it.
 */
export function sendHtmlPage(reply: FastifyReply, status: number, title: string, body: SafeHtml, lang: string, allow: PageAllowances = {}): FastifyReply {
  const branding = brandingOf(reply);
  const headers = pageHeadersAllowing(allow.formOrigins ?? [], branding, allow.scripts, allow.passkeys, allow.styleFiles !== undefined);
  return reply.code(status).headers(headers).send(page(title, body, lang, branding, { styleFiles: allow.styleFiles, nav: allow.nav }));
}
