import type { z } from 'zod';

/** Parses with zod; a ZodError becomes a 400 naming the field (see error-handler.ts). */
export function validate<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  return schema.parse(value);
}

/** REMP and CRM.COM send booleans as strings ("true", "1") in forms. */
export const booleanish = (value: unknown) => (typeof value === 'string' ? ['true', '1', 'yes', 'on'].includes(value.toLowerCase()) : Boolean(value));
