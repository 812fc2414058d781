import { z } from 'zod';

export const deliveryListQuery = z.object({
  status: z.enum(['pending', 'delivered', 'failed']).optional(),
  event_id: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const timestamp = z.string().nullable();

export const deliveryView = z
  .object({
    id: z.uuid(),
    event_id: z.uuid(),
    event_type: z.string(),
    /** Origin and path only: a receiver URL may carry a credential in its query. */
    url: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    next_attempt_at: timestamp,
    delivered_at: timestamp,
    failed_at: timestamp,
    last_status: z.number().int().nullable(),
    last_error: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'WebhookDelivery' });

export const deliveryListView = z.object({ deliveries: z.array(deliveryView) }).meta({ id: 'WebhookDeliveryList' });
