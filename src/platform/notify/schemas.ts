import { z } from 'zod';

export const devOutboxQuery = z.object({
  to: z.string().trim().min(1).max(254).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const timestamp = z.iso.datetime();

export const devOutboxView = z
  .object({
    messages: z.array(
      z.object({
        id: z.string(),
        channel: z.enum(['sms', 'email']),
        to: z.string(),
        subject: z.string().nullable(),
        text: z.string(),
        html: z.string().nullable(),
        created_at: timestamp,
      }),
    ),
  })
  .meta({ id: 'DevOutbox' });
