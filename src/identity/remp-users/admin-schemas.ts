import { z } from 'zod';
import { userId } from '../customers/remp-fields.js';

/** `/api/v1/admin/users/{id}`: the integer id REMP integrators store, or the UUID. */
export const adminUserParams = z.object({ id: userId });

/** REMP role names ("redaktor", "superadmin"): a word each, a handful per user. */
const roleName = z
  .string()
  .trim()
  .min(1)
  .max(50)
  .regex(/^[\p{L}\p{N}_.-]+$/u, 'must be a role name of letters, digits, _ . or -');

/** `PUT …/roles`: the user's whole list of admin roles (an empty list removes them all). */
export const rolesInput = z.object({ roles: z.array(roleName).max(20) }).strict();

/** `PUT …/delete-protection`. */
export const deleteProtectionInput = z.object({ delete_protected: z.boolean() }).strict();

const timestamp = z.string().nullable();

/** A user as the admin API shows it: both ids and the state the admin API changes. */
export const adminUserView = z
  .object({
    id: z.uuid(),
    numeric_id: z.number().int(),
    email: z.string().nullable(),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    roles: z.array(z.string()),
    delete_protected: z.boolean(),
    deactivated_at: timestamp,
    confirmed_at: timestamp,
    created_at: z.string(),
  })
  .meta({ id: 'AdminUser' });

export const adminUserResponse = z.object({ status: z.literal('ok'), user: adminUserView }).meta({ id: 'AdminUserResponse' });
