import { z } from 'zod';
import { API_SCOPES } from '../scopes.js';

/** What a key is shown to the caller as: it starts with this, so it is easy to spot in a leak scan. */
export const API_KEY_PREFIX = 'gh_';

/**
 * Endpoint ids are the strings routes declare (`authenticate({ allowApiKey: { endpoint } })`),
 * e.g. `users.create`; `*` whitelists every endpoint and must be granted explicitly.
 */
export const endpointId = z
  .string()
  .trim()
  .regex(/^(\*|[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*)$/, 'an endpoint id such as users.create, or *');

export const createApiKeyInput = z.object({
  name: z.string().trim().min(1).max(100),
  endpoints: z
    .array(endpointId)
    .max(200)
    .default([])
    .transform((ids) => [...new Set(ids)]),
  scopes: z
    .array(z.enum(API_SCOPES))
    .max(API_SCOPES.length)
    .default([])
    .transform((scopes) => [...new Set(scopes)]),
});
export type CreateApiKeyInput = z.input<typeof createApiKeyInput>;

export const apiKeyIdParams = z.object({ id: z.uuid() });

const timestamp = z.iso.datetime();

/** The response shape of a key. Parsing drops every other field, so the hash can never leak. */
export const apiKeyView = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    endpoints: z.array(z.string()),
    scopes: z.array(z.string()),
    created_at: timestamp,
    last_used_at: timestamp.nullable(),
    revoked_at: timestamp.nullable(),
  })
  .meta({ id: 'ApiKey' });

/** Only the creation response carries the key itself, once. */
export const createdApiKeyView = apiKeyView.extend({ key: z.string().startsWith(API_KEY_PREFIX) }).meta({ id: 'CreatedApiKey' });

export const apiKeyListView = z.object({ api_keys: z.array(apiKeyView) }).meta({ id: 'ApiKeyList' });
