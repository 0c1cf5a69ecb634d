/**
 * "Did you mean …?" for unknown configuration keys and variables: the nearest known key by edit distance.
 * Why: `server.prot: unknown key` tells what is wrong; naming `server.port` tells what to write instead.
 */
import { envSegment } from './env.js';
import { CONFIG_KEYS } from './schema.js';

/** A list index in a key path (`clients[0]`) or a variable (`CLIENTS__0__`), replaced by this while comparing. */
const INDEX = '#';

/**
 * Edit distance counting an insertion, deletion, substitution or swap of two neighbours as one edit (optimal
 * string alignment). Why: `prot` for `port` is one slip of the fingers, which plain Levenshtein counts as two.
 */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * The candidate nearest to `wanted` (compared without case), or null when none is close: at most a third of the
 * last segment's length in edits (1 to 3). Failing that, the one candidate whose last segment is `wanted`'s
 * (a key written in the wrong section, `port` for `server.port`). Why: a wild guess is worse than none.
 */
export function nearest(wanted: string, candidates: readonly string[], separator: string): string | null {
  const lower = wanted.toLowerCase();
  const last = (path: string) => path.slice(path.lastIndexOf(separator) + 1).replace(/^.*\]\./, '');
  const allowed = Math.max(1, Math.min(3, Math.floor(last(wanted).length / 3)));
  let best: { candidate: string; distance: number } | null = null;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance <= allowed && (best === null || distance < best.distance)) best = { candidate, distance };
  }
  if (best) return best.candidate;
  const sameName = candidates.filter((candidate) => last(candidate).toLowerCase() === last(lower));
  return sameName.length === 1 ? sameName[0]! : null;
}

/** Every key path a file may hold, sections included, with `#` for a list index (`clients[#].clientID`). */
function knownPaths(): string[] {
  const paths = new Set<string>();
  for (const key of CONFIG_KEYS) {
    const parts = key.replace(/\[\]/g, `[${INDEX}]`).split('.');
    for (let i = 1; i <= parts.length; i++) paths.add(parts.slice(0, i).join('.'));
  }
  return [...paths];
}

/** Puts the indices of `original` back into a suggestion that has `#` in their place. */
function restoreIndices(suggestion: string, indices: readonly string[]): string {
  let next = 0;
  return suggestion.replace(new RegExp(INDEX, 'g'), () => indices[next++] ?? '0');
}

/** The known key nearest to an unknown key path of the file (`server.prot` → `server.port`), or null. */
export function suggestKey(path: string): string | null {
  const indices = [...path.matchAll(/\[(\d+)\]/g)].map((match) => match[1]!);
  const found = nearest(path.replace(/\[\d+\]/g, `[${INDEX}]`), knownPaths(), '.');
  return found === null ? null : restoreIndices(found, indices);
}

/** The known variable nearest to an unknown `GATEHOUSE_*` name, or null. */
export function suggestVariable(variable: string): string | null {
  const indices = [...variable.matchAll(/__(\d+)(?=__|$)/g)].map((match) => match[1]!);
  const candidates = knownPaths().map((path) => `GATEHOUSE_${path.replace(/\[#\]/g, `.${INDEX}`).split('.').map(envSegment).join('__')}`);
  const found = nearest(variable.replace(/__\d+(?=__|$)/g, `__${INDEX}`), candidates, '_');
  return found === null ? null : restoreIndices(found, indices);
}

/**
 * Appends a suggestion to a problem line about an unknown key or variable; other lines pass unchanged.
 * Why: the loader collects problems from the file walker and the env mapper, which know only their own spec.
 */
export function withSuggestion(line: string): string {
  const key = /^([^\s:]+): unknown key$/.exec(line);
  const variable = /^(GATEHOUSE_\w+): unknown configuration variable \(no key [^)]*\)$/.exec(line);
  const suggestion = key ? suggestKey(key[1]!) : variable ? suggestVariable(variable[1]!) : null;
  return suggestion === null ? line : `${line} — did you mean \`${suggestion}\`?`;
}
