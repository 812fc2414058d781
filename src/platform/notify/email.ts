import nodemailer from 'nodemailer';
import type { Config } from '../config.js';
import { DeliveryFailed, type EmailTransport } from './transports.js';

export type SmtpSettings = NonNullable<Config['notify']['smtp']>;

/**
 * E-mail through any SMTP server with nodemailer. SMTP_URL carries host, port, credentials and
 * TLS choice (smtp:// upgrades with STARTTLS when offered, smtps:// is TLS from the start).
 */
export function createSmtpEmail(settings: SmtpSettings): EmailTransport {
  // nodemailer's defaults wait minutes for a dead server; a code is stale by then.
  const transport = nodemailer.createTransport({ url: settings.url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 });
  return {
    name: 'smtp',
    async send(message) {
      try {
        await transport.sendMail({ from: settings.from, to: message.to, subject: message.subject, text: message.text, html: message.html });
      } catch (error) {
        const { code, message } = error as { code?: string; message?: string };
        throw new DeliveryFailed('smtp', `SMTP delivery failed${code ? ` [${code}]` : ''}: ${message ?? 'unknown error'}`);
      }
    },
    close: () => transport.close(),
  };
}
