import { escapeHtml } from '../email/templates.js';

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

/** The page frame shared by every hosted page: no scripts, so a strict CSP costs nothing. */
export function page(title: string, body: SafeHtml, lang = 'en'): string {
  return html`<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Gatehouse</title>
<style>
body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#1f2328}
h1{font-size:1.4rem}h2{font-size:1.1rem}form{display:grid;gap:.75rem}input{padding:.5rem;font-size:1rem}
button{padding:.6rem;font-size:1rem;cursor:pointer}.error{color:#b42318}.ok{color:#067647}
label{display:grid;gap:.25rem}form div{display:grid;gap:.25rem}.field-error{color:#b42318;font-size:.9rem}.hint{color:#57606a;font-size:.9rem}:focus-visible{outline:3px solid #2563eb;outline-offset:2px}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.35rem;border-bottom:1px solid #d0d7de}section{margin:2rem 0}
</style>
</head>
<body>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>`.value;
}

/** Security headers for hosted pages: no framing (clickjacking), no inline script, no referrer leaking tokens. */
export const pageHeaders = pageHeadersAllowing([]);

/**
 * Page headers whose CSP also lets forms lead to `origins`: browsers apply `form-action` to the redirect that
 * follows a form post, so a login that delivers its token to a client's callbackURL must name that origin.
 */
export function pageHeadersAllowing(origins: string[]): Record<string, string> {
  const formAction = ["'self'", ...origins].join(' ');
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  };
}
