import type { IncomingHttpHeaders } from 'node:http';
import { readBody, startHttpServer, type RunningHttpServer } from '../support/fakes/http-server.js';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  /** The raw body, exactly as received: the signature covers these bytes. */
  rawBody: string;
  body: { id: string; type: string; occurred_at: string; customer_id: string | null; data: Record<string, any> };
  receivedAt: number;
}

/** What the receiver does with one request: answer a status, or hang for `hangMs` first. */
export type ReceiverReply = { status: number; hangMs?: number };

export interface WebhookReceiver extends RunningHttpServer {
  received: ReceivedWebhook[];
  /** Decides the reply per request (default 200). */
  reply: (webhook: ReceivedWebhook) => ReceiverReply;
  /** Resolves once `predicate` holds for the received list. */
  waitFor(predicate: (received: ReceivedWebhook[]) => boolean, timeoutMs?: number): Promise<ReceivedWebhook[]>;
}

/** A real HTTP receiver on 127.0.0.1, as an integrator would run one. */
export async function startReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const receiver = {
    received,
    reply: (() => ({ status: 200 })) as WebhookReceiver['reply'],
  } as WebhookReceiver;
  const http = await startHttpServer(async (req, res) => {
    const rawBody = await readBody(req);
    const webhook: ReceivedWebhook = { headers: req.headers, rawBody, body: JSON.parse(rawBody), receivedAt: Date.now() };
    received.push(webhook);
    const { status, hangMs } = receiver.reply(webhook);
    if (hangMs) await new Promise((resolve) => setTimeout(resolve, hangMs));
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(status < 300 ? 'ok' : 'nope');
  });
  receiver.url = `${http.url}/hooks/gatehouse`;
  receiver.stop = http.stop;
  receiver.waitFor = async (predicate, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(received)) {
      if (Date.now() > deadline)
        throw new Error(
          `webhook receiver: condition not met in ${timeoutMs} ms; received ${JSON.stringify(received.map((each) => [each.body.type, each.body.data]))}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return received;
  };
  return receiver;
}

export const forCustomer = (received: ReceivedWebhook[], customerId: string, type?: string) =>
  received.filter((each) => each.body.customer_id === customerId && (!type || each.body.type === type));

export async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} not met in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
