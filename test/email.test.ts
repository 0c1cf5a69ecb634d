import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMailer, type MailLogger, type Mailer } from '../src/email/mailer.js';
import {
  confirmationMail,
  emailChangeMail,
  emailChangeNoticeMail,
  escapeHtml,
  formatDurationText,
  passwordResetMail,
} from '../src/email/templates.js';
import { startSmtpCapture, type CapturedMail, type SmtpCapture } from './helpers/smtp.js';

const FROM = 'Gatehouse <no-reply@localhost>';
const BASE = 'http://localhost:8080';

function recordingLogger(): MailLogger & { calls: { level: string; obj: object; msg?: string }[] } {
  const calls: { level: string; obj: object; msg?: string }[] = [];
  return {
    calls,
    info: (obj, msg) => void calls.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => void calls.push({ level: 'warn', obj, msg }),
  };
}

describe('SMTP mailer', () => {
  let smtp: SmtpCapture;
  let mailer: Mailer | undefined;

  beforeAll(async () => {
    smtp = await startSmtpCapture();
  });
  afterEach(async () => {
    await mailer?.close();
    mailer = undefined;
  });
  afterAll(async () => {
    await smtp.close();
  });

  it('delivers text and HTML over a plain SMTP connection with AUTH', async () => {
    const logger = recordingLogger();
    // A distinctive password, so the log check below means something.
    const url = smtp.url.replace('test:test@', 'mailer:s3cret-pw@');
    mailer = createMailer({ from: FROM, smtpUrl: url, outboxDir: '/nonexistent', logger });
    const content = confirmationMail({ baseUrl: BASE, token: 'tok-smtp-1', username: 'alice' });
    await mailer.send({ to: 'alice@example.test', ...content });

    const mail = await smtp.waitFor((m) => m.to.includes('alice@example.test'));
    expect(mail.to).toEqual(['alice@example.test']);
    expect(mail.from).toBe(FROM);
    expect(mail.subject).toBe(content.subject);
    expect(mail.text).toContain(`${BASE}/auth/confirm/tok-smtp-1`);
    expect(mail.html).toContain(`<a href="${BASE}/auth/confirm/tok-smtp-1">`);
    expect(smtp.linkIn(mail, '/auth/confirm/')).toBe(`${BASE}/auth/confirm/tok-smtp-1`);
    expect(JSON.stringify(logger.calls)).not.toContain('s3cret-pw');
  });

  it('sends several mails through the pool and waitFor finds past and future ones', async () => {
    mailer = createMailer({ from: FROM, smtpUrl: smtp.url, outboxDir: '/nonexistent', logger: recordingLogger() });
    const future = smtp.waitFor((m) => m.subject === 'second');
    await Promise.all([
      mailer.send({ to: 'a@example.test', subject: 'first', text: 'one', html: '<p>one</p>' }),
      mailer.send({ to: 'b@example.test', subject: 'second', text: 'two', html: '<p>two</p>' }),
    ]);
    expect((await future).to).toEqual(['b@example.test']);
    expect((await smtp.waitFor((m) => m.subject === 'first')).to).toEqual(['a@example.test']);
  });

  it('waitFor rejects with the subjects it did receive', async () => {
    await expect(smtp.waitFor((m) => m.subject === 'never sent', 50)).rejects.toThrow(/no matching mail.*\n.*"first"/s);
  });

  it('rejects and warns (without the password) when the server is unreachable', async () => {
    const dead = await startSmtpCapture();
    await dead.close();
    const logger = recordingLogger();
    mailer = createMailer({
      from: FROM,
      smtpUrl: `smtp://u:hidden-pw@127.0.0.1:${dead.port}`,
      outboxDir: '/nonexistent',
      logger,
    });
    await expect(mailer.send({ to: 'x@example.test', subject: 's', text: 't', html: 'h' })).rejects.toThrow();
    expect(logger.calls.some((c) => c.level === 'warn')).toBe(true);
    expect(JSON.stringify(logger.calls)).not.toContain('hidden-pw');
  });

  it('refuses a URL that is not smtp:// or smtps://', () => {
    expect(() =>
      createMailer({ from: FROM, smtpUrl: 'http://x', outboxDir: '/nonexistent', logger: recordingLogger() }),
    ).toThrow(/smtp:\/\//);
  });
});

describe('outbox mailer', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-outbox-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes an .eml file and logs recipient, file and body', async () => {
    const outboxDir = path.join(dir, 'data', 'outbox'); // does not exist yet
    const logger = recordingLogger();
    const mailer = createMailer({ from: FROM, smtpUrl: null, outboxDir, logger });
    const content = passwordResetMail({ baseUrl: BASE, token: 'tok-outbox', username: 'bob', ttlText: '24 hours' });
    await mailer.send({ to: 'bob@example.test', ...content });
    await mailer.send({ to: 'bob@example.test', ...content });
    await mailer.close();

    const files = (await readdir(outboxDir)).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}Z-[0-9a-f]{8}\.eml$/);
    expect((await stat(outboxDir)).mode & 0o777).toBe(0o700);

    const eml = await readFile(path.join(outboxDir, files[0]!), 'utf8');
    expect(eml).toContain(`Subject: ${content.subject}`);
    expect(eml).toContain('To: bob@example.test');
    expect(eml).toContain(`${BASE}/auth/password-reset/tok-outbox`);
    expect(eml).toMatch(/^From: Gatehouse <no-reply@localhost>$/m);

    const info = logger.calls.find((c) => c.level === 'info');
    expect(info?.obj).toMatchObject({ to: 'bob@example.test', subject: content.subject });
    expect((info?.obj as { file: string }).file.startsWith(outboxDir)).toBe(true);
    expect((info?.obj as { text: string }).text).toContain('/auth/password-reset/tok-outbox');
  });
});

describe('templates', () => {
  const asCaptured = (c: { subject: string; text: string; html: string }): CapturedMail => ({
    ...c,
    to: [],
    from: FROM,
    raw: '',
  });
  const linkIn = async (mail: CapturedMail, prefix: string) => {
    // linkIn needs no server state, but it lives on the capture object.
    const smtp = await startSmtpCapture();
    try {
      return smtp.linkIn(mail, prefix);
    } finally {
      await smtp.close();
    }
  };

  const cases = [
    ['confirmation', confirmationMail({ baseUrl: BASE, token: 'c1', username: 'alice' }), '/auth/confirm/c1'],
    [
      'password reset',
      passwordResetMail({ baseUrl: BASE, token: 'r1', username: 'alice', ttlText: '24 hours' }),
      '/auth/password-reset/r1',
    ],
    ['email change', emailChangeMail({ baseUrl: BASE, token: 'e1', newEmail: 'new@example.test' }), '/auth/change-email/e1'],
    [
      'email change notice',
      emailChangeNoticeMail({ baseUrl: BASE, revertToken: 'v1', newEmail: 'new@example.test' }),
      '/auth/change-email/v1',
    ],
  ] as const;

  it.each(cases)('%s: link on its own line, in an <a href>, found by linkIn', async (_name, content, linkPath) => {
    const link = `${BASE}${linkPath}`;
    expect(content.subject).toContain('Gatehouse');
    expect(content.text.split('\n')).toContain(link);
    expect(content.html).toContain(`<a href="${link}">`);
    expect(await linkIn(asCaptured(content), linkPath.slice(0, linkPath.lastIndexOf('/') + 1))).toBe(link);
  });

  it('escapes user-controlled values in HTML', () => {
    const evil = '<script>alert("x")</script>';
    const mails = [
      confirmationMail({ baseUrl: BASE, token: 't', username: evil }),
      passwordResetMail({ baseUrl: BASE, token: 't', username: evil, ttlText: '1 hour' }),
      emailChangeMail({ baseUrl: BASE, token: 't', newEmail: `${evil}@x.test` }),
      emailChangeNoticeMail({ baseUrl: BASE, revertToken: 't', newEmail: `${evil}@x.test` }),
    ];
    for (const m of mails) {
      expect(m.html).not.toContain('<script>');
      expect(m.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    }
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });

  it('a newline in a username cannot forge a link line in the text body', () => {
    const m = confirmationMail({ baseUrl: BASE, token: 'real', username: 'x\nhttp://evil.test/auth/confirm/fake\n' });
    const linkLines = m.text.split('\n').filter((l) => /^https?:\/\/\S+$/.test(l));
    expect(linkLines).toEqual([`${BASE}/auth/confirm/real`]);
  });

  it('tolerates a trailing slash in baseUrl and mentions the reset TTL', () => {
    const m = passwordResetMail({ baseUrl: `${BASE}/`, token: 'r2', username: 'a', ttlText: '30 minutes' });
    expect(m.text).toContain(`\n${BASE}/auth/password-reset/r2\n`);
    expect(m.text).toContain('30 minutes');
  });

  it('formatDurationText', () => {
    expect(formatDurationText(24 * 3600_000)).toBe('24 hours');
    expect(formatDurationText(3 * 86_400_000)).toBe('3 days');
    expect(formatDurationText(30 * 60_000)).toBe('30 minutes');
    expect(formatDurationText(3600_000)).toBe('1 hour');
    expect(formatDurationText(90 * 60_000)).toBe('90 minutes');
    expect(formatDurationText(60_000)).toBe('1 minute');
    expect(formatDurationText(45_000)).toBe('45 seconds');
  });
});
