import { z } from 'zod';
import { passwordPolicy } from '../../platform/crypto/passwords.js';
import { rempUserShape } from '../../platform/openapi/shapes.js';
import { MAX_INT, email, flag, integer, locale, text, userId } from './remp-fields.js';

/** A password; an empty form field counts as absent (REMP: "if ($password)"). */
const optionalPassword = (minLength: number) =>
  z
    .string()
    .max(passwordPolicy.maxLength)
    .transform((value) => (value === '' ? undefined : value))
    .pipe(z.string().min(minLength).optional())
    .optional();
const password = optionalPassword(passwordPolicy.minLength);
/** REMP documents ext_id as an integer; it is kept in the customer's external id (≤ 36 characters). */
const extId = integer(0, Number.MAX_SAFE_INTEGER).transform(String);

/** `GET /api/v1/user/info` takes no parameters. */
export const noParameters = z.object({}).strict();

/** `POST /api/v1/users/email`, `/api/v2/users/email`. */
export const emailCheckInput = z.object({ email, password: optionalPassword(1) }).strict();

/** `POST /api/v1/users/create`. */
export const createUserInput = z
  .object({
    email,
    password,
    first_name: text(100),
    last_name: text(100),
    ext_id: extId.optional(),
    source: text(100),
    referer: text(500),
    note: text(2000),
    send_email: flag.optional(),
    disable_email_validation: flag.optional(),
    device_token: z.string().trim().min(1).max(200).optional(),
    unclaimed: flag.optional(),
    newsletters_subscribe: flag.optional(),
    locale: locale.optional(),
  })
  .strict();
export type CreateUserInput = z.output<typeof createUserInput>;

/** `POST /api/v1/users/update`. */
export const updateUserInput = z
  .object({
    user_id: userId,
    email: email.optional(),
    password,
    ext_id: extId.optional(),
    disable_email_validation: flag.optional(),
    locale: locale.optional(),
  })
  .strict();
export type UpdateUserInput = z.output<typeof updateUserInput>;

export const LIST_PAGE_SIZE = 1000;
const MAX_LISTED_IDS = 100_000;

/** REMP sends user_ids as a JSON-encoded string; a JSON body may carry the array itself. */
const userIdList = z
  .preprocess(
    (value) => {
      if (typeof value !== 'string') return value;
      try {
        return JSON.parse(value);
      } catch {
        return value;
      }
    },
    z.array(userId, { error: 'must be a JSON-encoded array of user ids' }).max(MAX_LISTED_IDS),
  )
  .describe('JSON-encoded array of user ids, the integer ids REMP shows (e.g. [9,10]) or UUIDs; a JSON body may send the array itself');

/** `POST /api/v1/users/list`. */
export const listUsersInput = z.object({ user_ids: userIdList, page: integer(1, MAX_INT), include_deactivated: flag.optional() }).strict();

/** `POST /api/v1/users/confirm`, and the body of set-email-validated / set-email-invalidated before the e-mail check. */
export const emailOnlyInput = z.object({ email }).strict();
export const rawEmailInput = z.object({ email: z.string().max(1000) }).strict();

// Responses: parsed before they are sent, so nothing beyond these fields can leak.
const rempUserBasics = rempUserShape.pick({ id: true, uuid: true, email: true, confirmed_at: true, first_name: true, last_name: true });

export const userInfoResponse = z
  .object({ status: z.literal('ok'), user: rempUserBasics, user_meta: z.record(z.string(), z.string()) })
  .meta({ id: 'RempUserInfo' });
export const emailCheckResponse = z
  .object({
    email: z.string(),
    status: z.enum(['available', 'taken']),
    /** The user's integer id when taken (REMP: "Integer; ID of user if email is taken"). */
    id: z.number().int().nullable(),
    password: z.boolean().nullable(),
  })
  .meta({ id: 'EmailAvailability' });
export const createUserResponse = z
  .object({
    status: z.literal('ok'),
    user: rempUserBasics.extend({ roles: z.array(z.string()) }),
    access: z.object({ token: z.string() }),
  })
  .meta({ id: 'RempCreatedUser' });
export const updateUserResponse = z
  .object({ status: z.literal('ok'), user: rempUserShape.pick({ id: true, uuid: true, email: true, confirmed_at: true }) })
  .meta({ id: 'RempUpdatedUser' });
export const listUsersResponse = z
  .object({
    status: z.literal('ok'),
    page: z.number().int(),
    totalPages: z.number().int(),
    totalCount: z.number().int(),
    /** Keyed by the integer id, as REMP's `"9": {"id": 9, …}`; `uuid` is an extension. */
    users: z.record(z.string(), z.object({ id: z.number().int(), uuid: z.uuid(), email: z.string().nullable() })),
  })
  .meta({ id: 'RempUserPage' });
export const emailValidationResponse = z.object({ status: z.literal('ok'), message: z.string(), code: z.literal('success') }).meta({ id: 'EmailValidation' });
