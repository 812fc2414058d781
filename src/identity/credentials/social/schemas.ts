import { z } from 'zod';
import { rempUserShape } from '../../../platform/openapi/shapes.js';

/** REMP and CRM.COM send booleans as strings ("true", "1") in forms. */
const booleanish = (value: unknown) => (typeof value === 'string' ? ['true', '1', 'yes', 'on'].includes(value.toLowerCase()) : Boolean(value));

const flag = z.preprocess((value) => (value === undefined ? undefined : booleanish(value)), z.boolean().default(false));
const token = z.string().trim().min(1).max(8192);
const locale = z
  .string()
  .trim()
  .regex(/^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$/, 'must be a locale such as en_US')
  .max(20);

/** REMP `POST /api/v1/users/google-token-sign-in`. */
export const googleTokenSignInInput = z
  .object({
    id_token: token.optional(),
    create_access_token: flag,
    device_token: z.string().trim().min(1).max(200).optional(),
    /** Replaces id_token with the one Google issues for this code. */
    gsi_auth_code: z.string().trim().min(1).max(2048).optional(),
    /** The code came from Google's JS library (redirect_uri "postmessage"). */
    is_web: flag,
    source: z.string().trim().min(1).max(100).optional(),
    locale: locale.optional(),
  })
  .refine((input) => input.id_token || input.gsi_auth_code, { message: 'id_token is required', path: ['id_token'] });

/** REMP `POST /api/v1/users/apple-token-sign-in`. */
export const appleTokenSignInInput = z.object({
  id_token: token,
  create_access_token: flag,
  device_token: z.string().trim().min(1).max(200).optional(),
  locale: locale.optional(),
});

export const rempSignInResponse = z
  .object({
    status: z.literal('ok'),
    user: rempUserShape,
    user_meta: z.record(z.string(), z.string()),
    access: z.object({ token: z.string() }).optional(),
  })
  .meta({ id: 'RempSignIn' });

export const signInStartQuery = z.object({ url: z.string().max(2048).optional() });

/** Query of Google's redirect and body of Apple's form_post: a code, or the provider's error. */
export const signInCallbackInput = z.object({
  state: z.string().max(4096).optional(),
  code: z.string().min(1).max(2048).optional(),
  error: z.string().max(200).optional(),
  /** Apple: JSON with the user's name, sent on the first authorization only. */
  user: z.string().max(4096).optional(),
});
