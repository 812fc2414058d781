import { z } from 'zod';

/** Response shapes shared by many operations. */
export const rempError = z.object({ status: z.literal('error'), code: z.string(), message: z.string() }).loose();
export const rempOk = z.object({ status: z.literal('ok') });
export const oauthError = z.object({ error: z.string(), error_description: z.string().optional() });
export const tenantFailure = z.object({ status: z.literal('Failed'), message: z.string() });
export const tenantFieldErrors = z.object({ errors: z.record(z.string(), z.array(z.string())) });

export const rempUserShape = z.object({
  id: z.uuid(),
  email: z.string().nullable(),
  confirmed_at: z.string().nullable(),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  roles: z.array(z.string()).optional(),
  public_name: z.string().nullable().optional(),
  created_at: z.string().optional(),
});

export const tokenResponse = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int(),
  scope: z.string(),
  refresh_token: z.string().optional(),
  id_token: z.string().optional(),
  issued_token_type: z.string().optional(),
});

export const standardErrors = {
  400: { description: 'Invalid input; the message names the field', schema: rempError },
  401: { description: 'Missing or invalid credentials', schema: rempError },
  403: { description: 'Not allowed (insufficient scope or not whitelisted)', schema: rempError },
  429: { description: 'Too many attempts; see Retry-After', schema: rempError },
} as const;
