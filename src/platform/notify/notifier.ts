import type { Config } from '../config.js';
import type { Orm } from '../db/orm.js';
import { DomainError, Unavailable } from '../errors.js';
import type { Logger } from '../logger.js';
import { createDevOutbox } from './outbox.js';
import { createMessageTemplates, type Channel, type RenderedMessage } from './templates.js';
import { DeliveryFailed, type EmailTransport, type SmsTransport } from './transports.js';

export type { Channel, RenderedMessage } from './templates.js';

/**
 * Sends SMS and e-mail for every capability (OTP codes, access-token verification codes, …).
 * The transport of each channel is chosen once at start-up: the configured provider, else the
 * development outbox, else (production) none, and the channel reports itself unsupported.
 */
export interface Notifier {
  supports(channel: Channel): boolean;
  sendSms(to: string, text: string): Promise<void>;
  sendEmail(to: string, subject: string, text: string, html: string): Promise<void>;
  /** Renders views/email/<templateName>.{sms|subject,text,html}.eta (see templates.ts). */
  render(channel: Channel, templateName: string, data: Record<string, unknown>): RenderedMessage;
  send(to: string, message: RenderedMessage): Promise<void>;
  sendTemplate(channel: Channel, to: string, templateName: string, data: Record<string, unknown>): Promise<void>;
  /**
   * Starts delivery without making the caller wait; a failure is logged, not thrown. Used where
   * the response must not depend on whether or how fast a message went out (OTP requests).
   */
  dispatch(to: string, message: RenderedMessage): void;
  /** Resolves when every dispatched delivery has finished (graceful shutdown). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export const channelUnavailable = (channel: Channel) =>
  new Unavailable('channel_unavailable', `${channel === 'sms' ? 'SMS' : 'E-mail'} delivery is not configured`);

export async function createNotifier({ config, orm, logger }: { config: Config; orm: Orm; logger: Logger }): Promise<Notifier> {
  const templates = createMessageTemplates(config.isProduction);
  // Codes in clear in a production table nobody can read would be a liability, not a fallback.
  const outbox = config.isProduction ? undefined : createDevOutbox({ orm, logger });
  // twilio and nodemailer are loaded only when configured: about 11 MB of heap a server without them never uses.
  const sms: SmsTransport | undefined = config.notify.twilio ? (await import('./sms.js')).createTwilioSms(config.notify.twilio) : outbox?.sms;
  const email: EmailTransport | undefined = config.notify.smtp ? (await import('./email.js')).createSmtpEmail(config.notify.smtp) : outbox?.email;
  logger.info({ sms: sms?.name ?? 'unavailable', email: email?.name ?? 'unavailable' }, 'message transports');

  const inFlight = new Set<Promise<void>>();

  const notifier: Notifier = {
    supports: (channel) => (channel === 'sms' ? sms : email) !== undefined,
    async sendSms(to, text) {
      if (!sms) throw channelUnavailable('sms');
      await sms.send(to, text);
    },
    async sendEmail(to, subject, text, html) {
      if (!email) throw channelUnavailable('email');
      await email.send({ to, subject, text, html });
    },
    render: (channel, templateName, data) => templates.render(channel, templateName, data),
    send(to, message) {
      return message.channel === 'sms' ? notifier.sendSms(to, message.text) : notifier.sendEmail(to, message.subject, message.text, message.html);
    },
    sendTemplate(channel, to, templateName, data) {
      return notifier.send(to, templates.render(channel, templateName, data));
    },
    dispatch(to, message) {
      const delivery = notifier
        .send(to, message)
        .catch((error: unknown) => {
          // Only our own errors are described: they name the provider and its status. Anything
          // else (a database error from the outbox) may quote the message, so only its class is.
          const detail = error instanceof DeliveryFailed || error instanceof DomainError ? error.message : `unexpected ${(error as Error)?.name ?? 'error'}`;
          logger.error({ channel: message.channel, recipient: to, detail }, 'message delivery failed');
        })
        .finally(() => inFlight.delete(delivery));
      inFlight.add(delivery);
    },
    async settle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    async close() {
      await notifier.settle();
      email?.close?.();
    },
  };
  return notifier;
}
