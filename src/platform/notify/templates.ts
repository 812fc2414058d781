import path from 'node:path';
import { Eta } from 'eta';
import { viewsDirectory } from '../http/views.js';

export type Channel = 'sms' | 'email';

export type RenderedMessage = { channel: 'sms'; text: string } | { channel: 'email'; subject: string; text: string; html: string };

export const messageTemplatesDirectory = path.join(viewsDirectory, 'email');

/** Template names reach the file system; issue #5 may take them from configuration. */
const TEMPLATE_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

export class UnknownTemplate extends Error {}

/**
 * Message templates in views/email/. A template `name` is up to four files: `name.subject.eta`,
 * `name.text.eta` and `name.html.eta` make the e-mail (plain-text and HTML parts), `name.sms.eta`
 * the SMS. Only the HTML part is escaped: escaping plain text would put `&amp;` into an SMS.
 */
export function createMessageTemplates(cache: boolean) {
  const options = { views: messageTemplatesDirectory, cache, autoTrim: false } as const;
  const html = new Eta({ ...options, autoEscape: true });
  const plain = new Eta({ ...options, autoEscape: false });

  const file = (engine: Eta, name: string, part: string, data: Record<string, unknown>) => {
    if (!TEMPLATE_NAME.test(name)) throw new UnknownTemplate(`invalid template name '${name}'`);
    // The explicit extension matters: eta only appends `.eta` to names without a dot.
    return engine.render(`./${name}.${part}.eta`, data);
  };

  return {
    render(channel: Channel, name: string, data: Record<string, unknown>): RenderedMessage {
      if (channel === 'sms') return { channel, text: file(plain, name, 'sms', data).trim() };
      return {
        channel,
        // One line whatever the template does: a subject is a header.
        subject: file(plain, name, 'subject', data).replace(/\s+/g, ' ').trim(),
        text: `${file(plain, name, 'text', data).trim()}\n`,
        html: file(html, name, 'html', data),
      };
    },
  };
}

export type MessageTemplates = ReturnType<typeof createMessageTemplates>;
