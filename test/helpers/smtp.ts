import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One message as the SMTP server received it; `to` comes from the envelope, i.e. who really got it. */
export interface CapturedMail {
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
  raw: string;
}

/** A running capture server plus the helpers tests need to follow e-mailed links. */
export interface SmtpCapture {
  /** Ready for `email.smtpUrl`; the credentials are accepted but not checked. */
  url: string;
  port: number;
  /** Every message so far, in arrival order. */
  messages: CapturedMail[];
  /** Resolves with the first past or future message matching `predicate`; rejects after `timeoutMs` (default 5000). */
  waitFor(predicate: (m: CapturedMail) => boolean, timeoutMs?: number): Promise<CapturedMail>;
  /** First URL in the text body whose pathname starts with `pathPrefix` (e.g. `/auth/confirm/`); throws if none. */
  linkIn(mail: CapturedMail, pathPrefix: string): string;
  close(): Promise<void>;
}

/** `Name <addr>` without mailparser's quoting, so tests can compare with the configured `email.from`. */
function formatFrom(addresses: { name: string; address?: string }[]): string {
  return addresses.map((a) => (a.name ? `${a.name} <${a.address ?? ''}>` : (a.address ?? ''))).join(', ');
}

interface Waiter {
  predicate: (m: CapturedMail) => boolean;
  resolve: (m: CapturedMail) => void;
}

/**
 * Starts a real SMTP server (smtp-server) on 127.0.0.1, so mail tests exercise nodemailer over a socket
 * instead of a mock: plain text, no STARTTLS, AUTH PLAIN/LOGIN with any credentials.
 */
export async function startSmtpCapture(): Promise<SmtpCapture> {
  const messages: CapturedMail[] = [];
  let waiters: Waiter[] = [];

  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    authMethods: ['PLAIN', 'LOGIN'],
    // No TLS here, so AUTH has to be allowed in the clear; the mailer must cope without STARTTLS.
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    // A test that forgets to close its pooled mailer should not hold the suite for the default 30 s.
    closeTimeout: 1000,
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username ?? 'test' });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const to = session.envelope.rcptTo.map((r) => r.address);
        simpleParser(raw).then(
          (parsed) => {
            const mail: CapturedMail = {
              to,
              from: formatFrom(parsed.from?.value ?? []),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              raw: raw.toString('utf8'),
            };
            messages.push(mail);
            const matched = waiters.filter((w) => w.predicate(mail));
            waiters = waiters.filter((w) => !matched.includes(w));
            for (const w of matched) w.resolve(mail);
            callback();
          },
          (err: Error) => callback(err),
        );
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;

  return {
    url: `smtp://test:test@127.0.0.1:${port}`,
    port,
    messages,
    waitFor(predicate, timeoutMs = 5000) {
      const seen = messages.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise<CapturedMail>((resolve, reject) => {
        const waiter: Waiter = {
          predicate,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        };
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== waiter);
          const got = messages.map((m) => `"${m.subject}" → ${m.to.join(', ')}`);
          reject(
            new Error(
              `no matching mail within ${timeoutMs} ms; received ${messages.length}` +
                (got.length ? `:\n  ${got.join('\n  ')}` : ''),
            ),
          );
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    linkIn(mail, pathPrefix) {
      const matches = (candidate: string): boolean => {
        try {
          return new URL(candidate).pathname.startsWith(pathPrefix);
        } catch {
          return false; // not a URL after all (e.g. mangled by punctuation); keep looking
        }
      };
      // A link alone on its line first (the templates' promise), so a URL smuggled into a username can't win.
      const own = mail.text.split(/\r?\n/).map((l) => l.trim()).find((l) => /^https?:\/\/\S+$/.test(l) && matches(l));
      if (own) return own;
      for (const match of mail.text.matchAll(/https?:\/\/[^\s<>"']+/g)) {
        if (matches(match[0])) return match[0];
      }
      throw new Error(`no link starting with ${pathPrefix} in mail "${mail.subject}":\n${mail.text}`);
    },
    close() {
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
