/**
 * Fake Twilio REST API: just enough of POST /2010-04-01/Accounts/{sid}/Messages.json to send SMS.
 *
 * The twilio client builds absolute https://api.twilio.com URLs, so point it here with an
 * httpClient that rewrites them:
 *
 *   twilio(accountSid, authToken, { httpClient: twilioHttpClientFor(fake.url) })
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import { basicCredentials, readForm, sendJson, startHttpServer } from './http-server.js';
import { createWaitableLog } from './waitable-log.js';

export interface SentSms {
  sid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
}

export interface TwilioErrorReply {
  status?: number;
  code?: number;
  message?: string;
}

export interface FakeTwilio {
  url: string;
  messages: SentSms[];
  /** Resolves with the first message sent to `to`, including ones sent before the call. */
  waitForMessage(to: string, timeoutMs?: number): Promise<SentSms>;
  /** Makes the next Messages.json request fail; defaults to Twilio's "invalid To number" error. */
  rejectNextMessage(reply?: TwilioErrorReply): void;
  stop(): Promise<void>;
}

const MESSAGES_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/;

export async function startFakeTwilio({ accountSid, authToken }: { accountSid: string; authToken: string }): Promise<FakeTwilio> {
  const sent = createWaitableLog<SentSms>();
  let nextRejection: Required<TwilioErrorReply> | undefined;

  async function createMessage(req: IncomingMessage, res: ServerResponse, pathAccountSid: string) {
    const credentials = basicCredentials(req);
    if (credentials?.username !== accountSid || credentials.password !== authToken) {
      return sendTwilioError(res, { status: 401, code: 20003, message: 'Authenticate' }, { 'www-authenticate': 'Basic realm="Twilio API"' });
    }
    if (pathAccountSid !== accountSid) {
      return sendTwilioError(res, { status: 404, code: 20404, message: `The requested resource ${req.url ?? ''} was not found` });
    }
    const form = await readForm(req);
    const to = form.get('To');
    const from = form.get('From');
    const messagingServiceSid = form.get('MessagingServiceSid');
    const body = form.get('Body');
    if (!to) return sendTwilioError(res, { status: 400, code: 21604, message: "A 'To' phone number is required." });
    if (!from && !messagingServiceSid) return sendTwilioError(res, { status: 400, code: 21603, message: "A 'From' phone number is required." });
    if (!body) return sendTwilioError(res, { status: 400, code: 21602, message: 'Message body is required.' });
    if (nextRejection) {
      const rejection = nextRejection;
      nextRejection = undefined;
      return sendTwilioError(res, rejection);
    }

    const sid = 'SM' + randomBytes(16).toString('hex');
    const now = rfc2822(new Date());
    const uri = `/2010-04-01/Accounts/${accountSid}/Messages/${sid}`;
    sent.record({ sid, to, from, messagingServiceSid, body });
    sendJson(res, 201, {
      account_sid: accountSid,
      api_version: '2010-04-01',
      body,
      date_created: now,
      date_sent: null,
      date_updated: now,
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from,
      messaging_service_sid: messagingServiceSid,
      num_media: '0',
      num_segments: String(Math.max(1, Math.ceil(body.length / 153))),
      price: null,
      price_unit: 'USD',
      sid,
      // Twilio answers "accepted" while a Messaging Service still has to pick the sender.
      status: from ? 'queued' : 'accepted',
      subresource_uris: { media: `${uri}/Media.json` },
      to,
      uri: `${uri}.json`,
    });
  }

  const server = await startHttpServer((req, res, url) => {
    const pathAccountSid = MESSAGES_PATH.exec(url.pathname)?.[1];
    if (req.method === 'POST' && pathAccountSid) return createMessage(req, res, pathAccountSid);
    sendTwilioError(res, { status: 404, code: 20404, message: `The requested resource ${url.pathname} was not found` });
  });

  return {
    url: server.url,
    messages: sent.entries,
    waitForMessage(to, timeoutMs = 5000) {
      return sent.waitFor(
        (message) => message.to === to,
        timeoutMs,
        () => {
          const recipients = sent.entries.map((message) => message.to).join(', ') || 'none';
          return `No SMS to ${to} within ${timeoutMs}ms (messages sent to: ${recipients})`;
        },
      );
    },
    rejectNextMessage({ status = 400, code = 21211, message = "The 'To' number is not a valid phone number." } = {}) {
      nextRejection = { status, code, message };
    },
    stop: server.stop,
  };
}

/** A twilio `httpClient` that sends the requests meant for *.twilio.com to `baseUrl` instead. */
export function twilioHttpClientFor(baseUrl: string): RequestClient {
  return new TwilioRequestClientRedirectingTo(baseUrl);
}

class TwilioRequestClientRedirectingTo extends twilio.RequestClient {
  readonly #baseUrl: string;

  constructor(baseUrl: string) {
    super();
    this.#baseUrl = baseUrl;
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const target = new URL(opts.uri);
    // Any twilio host, because TWILIO_REGION / TWILIO_EDGE turn api.twilio.com into api.dublin.ie1.twilio.com.
    if (target.hostname === 'twilio.com' || target.hostname.endsWith('.twilio.com')) {
      return super.request({ ...opts, uri: this.#baseUrl + target.pathname + target.search });
    }
    return super.request(opts);
  }
}

function sendTwilioError(res: ServerResponse, { status, code, message }: Required<TwilioErrorReply>, headers: Record<string, string> = {}) {
  sendJson(res, status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, headers);
}

function rfc2822(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}
