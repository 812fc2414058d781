import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import type { Config } from '../config.js';
import { DeliveryFailed } from './transports.js';
import type { SmsTransport } from './transports.js';

export type TwilioSettings = NonNullable<Config['notify']['twilio']>;

const TWILIO_API = 'https://api.twilio.com';
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * The twilio library builds absolute *.twilio.com URLs (region and edge included); this client
 * sends them to TWILIO_API_BASE_URL instead, for a regional proxy, an egress gateway or a fake.
 */
class ApiBaseUrlRequestClient extends twilio.RequestClient {
  readonly #baseUrl: string;

  constructor(baseUrl: string) {
    super({ timeout: REQUEST_TIMEOUT_MS });
    this.#baseUrl = baseUrl;
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const target = new URL(opts.uri);
    if (target.hostname !== 'twilio.com' && !target.hostname.endsWith('.twilio.com')) return super.request(opts);
    return super.request({ ...opts, uri: `${this.#baseUrl}${target.pathname}${target.search}` });
  }
}

/** SMS through Twilio's Messages API with the official client. */
export function createTwilioSms(settings: TwilioSettings): SmsTransport {
  const httpClient =
    settings.apiBaseUrl === TWILIO_API ? new twilio.RequestClient({ timeout: REQUEST_TIMEOUT_MS }) : new ApiBaseUrlRequestClient(settings.apiBaseUrl);
  const client = twilio(settings.accountSid, settings.authToken, { httpClient });
  return {
    name: 'twilio',
    async send(to, text) {
      try {
        await client.messages.create({
          to,
          body: text,
          ...(settings.messagingServiceSid ? { messagingServiceSid: settings.messagingServiceSid } : {}),
          ...(settings.from ? { from: settings.from } : {}),
        });
      } catch (error) {
        // Twilio's RestException carries its numeric code (21211 invalid number, 20003 auth, …).
        const { status, code, message } = error as { status?: number; code?: number; message?: string };
        throw new DeliveryFailed('twilio', `Twilio refused the message${status ? ` (${status}${code ? `/${code}` : ''})` : ''}: ${message ?? 'unknown error'}`);
      }
    },
  };
}
