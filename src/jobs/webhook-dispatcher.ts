import { randomInt } from 'node:crypto';
import type { Config } from '../platform/config.js';
import { type Orm, detachedEntityManager } from '../platform/db/orm.js';
import type { Logger } from '../platform/logger.js';
import { signWebhook } from '../identity/events/signature.js';
import { claimDueDeliveries, fanOutEvents, markAttemptFailed, markDelivered, type ClaimedDelivery } from '../identity/events/service.js';

export type WebhookSettings = Config['webhooks'];

export interface WebhookDispatcher {
  /** No new claims; resolves once the deliveries in flight have finished and been recorded. */
  stop(): Promise<void>;
}

const BATCH_SIZE = 20;
/** Beyond the request timeout, time for the result to be written before another instance may retry. */
const LEASE_GRACE_SECONDS = 60;

/** Exponential back-off with equal jitter: half the delay fixed, half random, so failing receivers are not hit in lock-step. */
export function retryDelayMs(attempt: number, settings: Pick<WebhookSettings, 'retryBaseMs' | 'retryMaxMs'>): number {
  const ceiling = Math.min(settings.retryBaseMs * 2 ** Math.max(0, attempt - 1), settings.retryMaxMs);
  const half = Math.floor(ceiling / 2);
  return half + randomInt(0, Math.max(1, ceiling - half));
}

/** The JSON POSTed to receivers; also what X-Gatehouse-Signature signs, byte for byte. */
export function webhookBody(event: ClaimedDelivery['event']): string {
  const payload = event.payload as { occurred_at?: string; data?: unknown };
  return JSON.stringify({
    id: event.id,
    type: event.type,
    occurred_at: payload.occurred_at ?? event.createdAt.toISOString(),
    customer_id: event.customerId,
    data: payload.data ?? {},
  });
}

// The origin only: receiver URLs can carry credentials in their path or query.
const origin = (url: string) => {
  try {
    return new URL(url).origin;
  } catch {
    return 'invalid-url';
  }
};

function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `timed out after ${timeoutMs} ms`;
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

/**
 * Sends outbox events to every WEBHOOK_URLS receiver (issue #4 §5). All state is in PostgreSQL
 * (webhook_delivery), so a restart loses nothing and any number of instances can run this side
 * by side: claims use `for update skip locked`. Each poll fans new events out into deliveries,
 * then sends due deliveries until none is left, then sleeps WEBHOOK_POLL_MS.
 */
export function startWebhookDispatcher(deps: { orm: Orm; logger: Logger; settings: WebhookSettings }): WebhookDispatcher {
  const { settings, logger } = deps;
  const em = () => detachedEntityManager(deps.orm);
  const leaseSeconds = Math.ceil(settings.timeoutMs / 1000) + LEASE_GRACE_SECONDS;
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const deliver = async (delivery: ClaimedDelivery) => {
    const body = webhookBody(delivery.event);
    let status: number | null = null;
    let failure: string;
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Gatehouse-Webhooks',
          'x-gatehouse-event': delivery.event.type,
          'x-gatehouse-delivery': delivery.id,
          'x-gatehouse-attempt': String(delivery.attempt),
          'x-gatehouse-signature': signWebhook(settings.secret, body),
        },
        body,
        // A redirect is a failure, not an invitation to send the event somewhere else.
        redirect: 'manual',
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
      status = response.status;
      await response.body?.cancel().catch(() => undefined);
      if (status >= 200 && status < 300) {
        await markDelivered(em(), delivery, status);
        return;
      }
      failure = `HTTP ${status}`;
    } catch (error) {
      failure = describeFailure(error, settings.timeoutMs);
    }
    const givingUp = delivery.attempt >= settings.maxAttempts;
    const retryInSeconds = givingUp ? null : retryDelayMs(delivery.attempt, settings) / 1000;
    await markAttemptFailed(em(), delivery, { status, error: failure, retryInSeconds });
    logger[givingUp ? 'error' : 'warn'](
      {
        deliveryId: delivery.id,
        eventId: delivery.event.id,
        receiver: origin(delivery.url),
        attempt: delivery.attempt,
        status,
        error: failure,
        retryInSeconds,
      },
      givingUp ? 'webhook delivery failed for good' : 'webhook delivery failed, will retry',
    );
  };

  const poll = async () => {
    while (!stopping && (await fanOutEvents(em(), { urls: settings.urls, batchSize: 100 })) === 100);
    while (!stopping) {
      const claimed = await claimDueDeliveries(em(), { urls: settings.urls, batchSize: BATCH_SIZE, leaseSeconds });
      // Every claimed delivery is finished and recorded, even when stop() was called meanwhile.
      await Promise.all(
        claimed.map((delivery) =>
          deliver(delivery).catch((error) => logger.error({ err: error, deliveryId: delivery.id }, 'recording a webhook delivery failed')),
        ),
      );
      if (claimed.length < BATCH_SIZE) break;
    }
  };

  const run = () => {
    running = poll()
      .catch((error) => logger.warn({ err: error }, 'webhook poll failed'))
      .finally(() => {
        running = undefined;
        if (stopping) return;
        timer = setTimeout(run, settings.pollMs);
        timer.unref();
      });
  };
  run();
  logger.info({ receivers: settings.urls.map(origin), pollMs: settings.pollMs }, 'webhook dispatcher started');

  return {
    async stop() {
      stopping = true;
      clearTimeout(timer);
      await running;
    },
  };
}
