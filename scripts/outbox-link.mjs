#!/usr/bin/env node
// Prints the /auth/<kind>/ link of the newest mail in the outbox (no SMTP configured) sent to <address>:
//   node scripts/outbox-link.mjs confirm alice@example.com [outbox dir, default data/outbox]
// Without an address, the newest mail of all. Mail bodies are quoted-printable, which wraps long lines with "="
// soft breaks; they are joined before searching.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [kind = 'confirm', address, dir = 'data/outbox'] = process.argv.slice(2);

/** The mail's `To:` addresses, lower-cased (a header may be folded onto following lines). */
function recipients(text) {
  const headers = text.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
  const to = headers.match(/^To:(.*)$/im)?.[1] ?? '';
  return [...to.matchAll(/[^\s<>,"]+@[^\s<>,"]+/g)].map((match) => match[0].toLowerCase());
}

const mails = readdirSync(dir)
  .filter((name) => name.endsWith('.eml'))
  .sort()
  .map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8').replace(/=\r?\n/g, '') }))
  .filter((mail) => !address || recipients(mail.text).includes(address.toLowerCase()));
const newest = mails.pop();
if (!newest) {
  console.error(`no mail${address ? ` to ${address}` : ''} in ${dir}`);
  process.exit(1);
}
const link = newest.text.match(new RegExp(`https?://[^\\s"<]+/auth/${kind}/[A-Za-z0-9_-]+`));
if (!link) {
  console.error(`no /auth/${kind}/ link in ${newest.name}`);
  process.exit(1);
}
console.log(link[0]);
