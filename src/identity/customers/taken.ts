import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { conflict, type DomainError } from '../../platform/errors.js';

/**
 * The unique fields of a customer (or an organisation contact) by the index that guards each: when
 * two requests race for one e-mail, phone number or external id, the index decides and the loser
 * hears which field is taken. Every family that writes customers maps the violation here.
 */
const TAKEN_BY_INDEX = [
  { index: 'email', code: 'email_taken', field: 'e-mail' },
  { index: 'phone', code: 'phone_taken', field: 'phone number' },
  { index: 'external_id', code: 'external_id_taken', field: 'external id' },
] as const;

/**
 * The 409 for a customer write that ran into a unique index, worded for the family ("user" in
 * REMP, "customer" elsewhere); any other error (another index, such as a referrer-code collision)
 * comes back as it was.
 */
export function customerTaken<E>(error: E, noun: 'customer' | 'user' = 'customer'): E | DomainError {
  if (!(error instanceof UniqueConstraintViolationException)) return error;
  const constraint = String((error as { constraint?: string }).constraint ?? error.message);
  const taken = TAKEN_BY_INDEX.find((each) => constraint.includes(each.index));
  return taken ? conflict(`A ${noun} with this ${taken.field} already exists`, taken.code) : error;
}
