import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';

/** One rendered e-mail; plain text and HTML travel together so every client can show it. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** What services depend on, so tests and the outbox can stand in for SMTP without code changes. */
export interface Mailer {
  /** Delivers (or stores) one mail; rejects when the SMTP server refuses it. */
  send(mail: OutgoingMail): Promise<void>;
  /** Releases pooled SMTP connections so the process can exit cleanly on SIGTERM. */
  close(): Promise<void>;
}

/** The pino subset the mailer uses, so Fastify's logger can be passed in directly. */
export interface MailLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Options for {@link createMailer}; mirrors the `email.*` config keys (CONTRACT §2). */
export interface MailerOptions {
  /** RFC 5322 From, e.g. `Gatehouse <no-reply@localhost>`. */
  from: string;
  /** `smtp://user:pass@host:port` or `smtps://…`; `null` selects the outbox. */
  smtpUrl: string | null;
  /** Where outbox `.eml` files go when there is no SMTP (default config: `./data/outbox`). */
  outboxDir: string;
  logger: MailLogger;
}

/**
 * Builds the mailer the config asks for: SMTP when `smtpUrl` is set, otherwise the outbox folder,
 * so `npm start` works out of the box and a developer can still follow confirmation links.
 */
export function createMailer(options: MailerOptions): Mailer {
  return options.smtpUrl === null || options.smtpUrl === ''
    ? createOutboxMailer(options)
    : createSmtpMailer(options.smtpUrl, options);
}

/** Pools connections by default; an explicit `?pool=` in the URL wins so operators keep control. */
function smtpTransportUrl(smtpUrl: string): string {
  const url = new URL(smtpUrl);
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new Error(`email.smtpUrl must start with smtp:// or smtps:// (got ${url.protocol}//…)`);
  }
  if (!url.searchParams.has('pool')) url.searchParams.set('pool', 'true');
  return url.toString();
}

function createSmtpMailer(smtpUrl: string, options: MailerOptions): Mailer {
  // No ignoreTLS: nodemailer upgrades with STARTTLS only when the server offers it (opportunistic),
  // which keeps real servers encrypted and still talks to a plain local relay or test server.
  const transport = nodemailer.createTransport(smtpTransportUrl(smtpUrl));
  const { from, logger } = options;
  return {
    async send(mail) {
      try {
        const info = await transport.sendMail({ from, ...mail });
        logger.info({ to: mail.to, subject: mail.subject, messageId: info.messageId }, 'mail sent');
      } catch (err) {
        // Log the recipient and reason only; the URL (with its password) never reaches the log.
        logger.warn({ to: mail.to, subject: mail.subject, err: errorSummary(err) }, 'mail delivery failed');
        throw err;
      }
    },
    async close() {
      transport.close();
    },
  };
}

function createOutboxMailer(options: MailerOptions): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const { from, logger, outboxDir } = options;
  return {
    async send(mail) {
      const info = await transport.sendMail({ from, ...mail });
      // 0o700/0o600: outbox mails carry live confirmation and reset tokens.
      await mkdir(outboxDir, { recursive: true, mode: 0o700 });
      const file = path.join(outboxDir, outboxFileName(new Date()));
      await writeFile(file, info.message, { mode: 0o600, flag: 'wx' });
      // The text body goes to the log on purpose: without SMTP this is how a developer finds the link.
      logger.info({ to: mail.to, subject: mail.subject, file, text: mail.text }, 'mail written to outbox (no SMTP configured)');
    },
    async close() {
      // Nothing to release: the stream transport holds no sockets.
    },
  };
}

/** Sortable by time, unique by the random suffix, and free of ':' which Windows file systems reject. */
function outboxFileName(now: Date): string {
  return `${now.toISOString().replaceAll(':', '-')}-${randomBytes(4).toString('hex')}.eml`;
}

function errorSummary(err: unknown): { message: string; code?: unknown } {
  if (err instanceof Error) return { message: err.message, code: (err as { code?: unknown }).code };
  return { message: String(err) };
}
