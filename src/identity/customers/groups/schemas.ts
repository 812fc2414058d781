import { z } from 'zod';
import { MAX_INT, email, integer } from '../remp-fields.js';

/** `/api/v1/users/add-to-group` and `/remove-from-group`. */
export const groupMembershipInput = z.object({ email, group_id: integer(1, MAX_INT) }).strict();

/** `POST /api/v1/groups`. */
export const createGroupInput = z.object({ name: z.string().trim().min(1).max(100) }).strict();

export const groupView = z.object({ id: z.number().int(), name: z.string(), created_at: z.string() }).meta({ id: 'UserGroup' });
export const createGroupResponse = z.object({ status: z.literal('ok'), group: groupView }).meta({ id: 'CreatedUserGroup' });
export const listGroupsResponse = z.object({ status: z.literal('ok'), groups: z.array(groupView) }).meta({ id: 'UserGroupList' });
