/**
 * Fake mail server: a plain-text SMTP listener that parses and keeps every message it accepts.
 *
 * Point nodemailer at it with createTransport({ host: fake.host, port: fake.port, secure: false, ignoreTLS: true }).
 * Any AUTH credentials are accepted, so production-like transports with a user and password work too.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { createWaitableLog } from './waitable-log.js';

export interface ReceivedMail {
  /** Envelope sender (MAIL FROM). */
  envelopeFrom: string | null;
  /** Address in the From header. */
  from: string | null;
  /** Envelope recipients (RCPT TO), so Bcc recipients are included. */
  to: string[];
  subject: string;
  text: string;
  html: string | null;
  authenticatedUser: string | null;
}

export interface FakeSmtp {
  host: '127.0.0.1';
  port: number;
  url: string;
  mails: ReceivedMail[];
  /** Resolves with the first mail addressed to `to` (case-insensitive), including ones received before the call. */
  waitForMail(to: string, timeoutMs?: number): Promise<ReceivedMail>;
  stop(): Promise<void>;
}

export async function startFakeSmtp(): Promise<FakeSmtp> {
  const received = createWaitableLog<ReceivedMail>();

  async function receive(stream: SMTPServerDataStream, session: SMTPServerSession) {
    const parsed = await simpleParser(stream);
    const envelopeFrom = session.envelope.mailFrom;
    received.record({
      envelopeFrom: envelopeFrom ? envelopeFrom.address : null,
      from: parsed.from?.value[0]?.address ?? null,
      to: session.envelope.rcptTo.map((recipient) => recipient.address.toLowerCase()),
      subject: parsed.subject ?? '',
      text: parsed.text ?? '',
      html: typeof parsed.html === 'string' ? parsed.html : null,
      authenticatedUser: typeof session.user === 'string' ? session.user : null,
    });
  }

  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    // Without this smtp-server refuses AUTH on an unencrypted connection, which is all the fake offers.
    allowInsecureAuth: true,
    logger: false,
    closeTimeout: 1000,
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username ?? 'anonymous' });
    },
    onData(stream, session, callback) {
      receive(stream, session).then(() => callback(), callback);
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    host: '127.0.0.1',
    port,
    url: `smtp://127.0.0.1:${port}`,
    mails: received.entries,
    waitForMail(to, timeoutMs = 5000) {
      const wanted = to.toLowerCase();
      return received.waitFor(
        (mail) => mail.to.includes(wanted),
        timeoutMs,
        () => {
          const recipients = received.entries.flatMap((mail) => mail.to).join(', ') || 'none';
          return `No mail to ${to} within ${timeoutMs}ms (mail received for: ${recipients})`;
        },
      );
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
