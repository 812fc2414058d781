import { z } from 'zod';

/**
 * Field schemas shared by the REMP users endpoints. REMP clients send forms, so every value may
 * arrive as a string: booleans as "1"/"true", integers as digits. JSON clients may send the
 * native types. Anything else is a 400 naming the field.
 */

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off', '']);

/** A boolean, or its form spelling ("1", "true", "0", "false", …); other values are refused. */
export const flag = z.preprocess((value) => {
  if (typeof value === 'number' && (value === 0 || value === 1)) return value === 1;
  if (typeof value !== 'string') return value;
  const lower = value.trim().toLowerCase();
  return TRUE.has(lower) ? true : FALSE.has(lower) ? false : value;
}, z.boolean());

/** An integer, or a string of digits. */
export const integer = (min: number, max: number) =>
  z.preprocess((value) => (typeof value === 'string' && /^-?\d{1,16}$/.test(value.trim()) ? Number(value.trim()) : value), z.number().int().min(min).max(max));

export const MAX_INT = 2_147_483_647;

/** Trimmed text; an empty form field counts as absent. */
export const text = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .transform((value) => (value === '' ? undefined : value))
    .optional();

export const email = z.string().trim().pipe(z.email().max(254));

/**
 * A user as REMP paths name one: the integer REMP integrators store (`"user_id": 12345`, the
 * customer's numeric id) or Gatehouse's UUID (spec README: "REMP paths expose and accept a stable
 * integer id per record as well"). Digits in a form field are the integer.
 */
export const userId = z.preprocess(
  (value) => (typeof value === 'string' && /^\d{1,10}$/.test(value.trim()) ? Number(value.trim()) : value),
  z.union([z.number().int().min(1).max(MAX_INT), z.uuid()], { error: 'must be a user id: the integer id or the UUID' }),
);
export type UserRef = z.output<typeof userId>;

export const locale = z
  .string()
  .trim()
  .max(20)
  .regex(/^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$/, 'must be a locale such as en_US');

/** Top-level domains that never receive mail (RFC 2606, RFC 6761); refused unless validation is disabled. */
const UNDELIVERABLE_TLDS = new Set(['invalid', 'test', 'example', 'localhost', 'local']);

export function isDeliverableEmail(address: string): boolean {
  const tld = address.slice(address.lastIndexOf('.') + 1).toLowerCase();
  return address.includes('.', address.indexOf('@')) && !UNDELIVERABLE_TLDS.has(tld);
}
