import { z } from 'zod';
import { flag, userId } from '../remp-fields.js';

const key = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .regex(/^[\p{L}\p{N}_.:/-]+$/u, 'must be letters, digits and _ . : / -');
const value = z.string().max(10_000);

/** `POST /api/v1/user-meta/upsert`. */
export const upsertMetaInput = z.object({ user_id: userId, key, value, is_public: flag.optional() }).strict();
/** `POST /api/v1/user-meta/list`: user_id only with an API token (a user token lists its own user). */
export const listMetaInput = z.object({ user_id: userId.optional(), key: key.optional() }).strict();
/** `POST /api/v1/user-meta/key-users`. */
export const keyUsersInput = z.object({ key, value: value.optional() }).strict();
/** `POST /api/v1/user-meta/delete`. */
export const deleteMetaInput = z.object({ user_id: userId, key, value: value.optional() }).strict();

export const upsertMetaResponse = z.object({ key: z.string(), value: z.string(), is_public: z.boolean() }).meta({ id: 'UserMetaValue' });
/** `user_id` is the user's integer id, as REMP answers it. */
export const listMetaResponse = z.array(z.object({ user_id: z.number().int(), key: z.string(), value: z.string() })).meta({ id: 'UserMetaList' });
export const keyUsersResponse = z.array(z.object({ user_id: z.number().int(), value: z.string() })).meta({ id: 'UsersWithMeta' });
export const deleteMetaResponse = z.object({ status: z.literal('ok') });
