#!/usr/bin/env node
// Prints the link of the newest mail in the outbox (no SMTP configured), e.g. `node scripts/outbox-link.mjs confirm`.
// Mail bodies are quoted-printable, which wraps long lines with "=" soft breaks; they are joined before searching.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [kind = 'confirm', dir = 'data/outbox'] = process.argv.slice(2);
const newest = readdirSync(dir).filter((name) => name.endsWith('.eml')).sort().pop();
if (!newest) {
  console.error(`no mail in ${dir}`);
  process.exit(1);
}
const text = readFileSync(join(dir, newest), 'utf8').replace(/=\r?\n/g, '');
const link = text.match(new RegExp(`https?://[^\\s"<]+/auth/${kind}/[A-Za-z0-9_-]+`));
if (!link) {
  console.error(`no /auth/${kind}/ link in ${newest}`);
  process.exit(1);
}
console.log(link[0]);
