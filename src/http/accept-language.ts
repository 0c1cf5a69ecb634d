/**
 * Parses `Accept-Language` into `{tag: q}` (seed 004 `clientAcceptLanguage`). Malformed entries are skipped,
 * never an error: the header is advisory and browsers and proxies send all sorts.
 */
export function parseAcceptLanguage(header: string | undefined): Record<string, number> {
  const result: Record<string, number> = {};
  if (!header) return result;
  for (const part of header.slice(0, 1024).split(',').slice(0, 50)) {
    const [rawTag, ...params] = part.trim().split(';');
    const tag = rawTag?.trim() ?? '';
    if (!/^(\*|[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)$/.test(tag)) continue;
    let q = 1;
    for (const param of params) {
      const match = /^\s*q\s*=\s*([0-9](\.[0-9]{0,3})?)\s*$/.exec(param);
      if (match) q = Number(match[1]);
    }
    if (q > 1 || Number.isNaN(q)) continue;
    if (!(tag in result)) result[tag] = q;
  }
  return result;
}
