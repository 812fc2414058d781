import { z } from 'zod';
import { passwordPolicy } from '../../platform/crypto/passwords.js';

/**
 * The tenant API answers validation errors as `{errors: {field: [message]}}` with Laravel-style
 * sentences (spec, "Tenant Admin User Create" error sample); these helpers keep the wording in one place.
 */
export const requiredOr = (required: string, invalid: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined || issue.input === null ? required : invalid),
});

const label = (field: string) => field.replace(/_/g, ' ');
export const fieldMessages = {
  required: (field: string) => `The ${label(field)} field is required.`,
  string: (field: string) => `The ${label(field)} must be a string.`,
  max: (field: string, max: number) => `The ${label(field)} may not be greater than ${max} characters.`,
  min: (field: string, min: number) => `The ${label(field)} must be at least ${min} characters.`,
};

const requiredString = (field: string, max: number) =>
  z
    .string(requiredOr(fieldMessages.required(field), fieldMessages.string(field)))
    .trim()
    .min(1, fieldMessages.required(field))
    .max(max, fieldMessages.max(field, max));

/** Letters (any script), spaces and the punctuation names carry: "Mary-Jane O'Neil Jr.". */
const NAME_FORMAT = /^[\p{L}\p{M}][\p{L}\p{M} .,'-]*$/u;

export const tenantAdminSignUpInput = z.object({
  name: requiredString('name', 100).regex(NAME_FORMAT, 'The name format is invalid.'),
  email: z
    .string(requiredOr(fieldMessages.required('email'), fieldMessages.string('email')))
    .trim()
    .min(1, fieldMessages.required('email'))
    .max(254, fieldMessages.max('email', 254))
    .pipe(z.email('The email must be a valid email address.')),
  password: z
    .string(requiredOr(fieldMessages.required('password'), fieldMessages.string('password')))
    .min(1, fieldMessages.required('password'))
    .min(passwordPolicy.minLength, fieldMessages.min('password', passwordPolicy.minLength))
    .max(passwordPolicy.maxLength, fieldMessages.max('password', passwordPolicy.maxLength)),
});
export type TenantAdminSignUpInput = z.infer<typeof tenantAdminSignUpInput>;

export const tenantAdminLoginInput = z.object({
  email: requiredString('email', 254),
  password: z
    .string(requiredOr(fieldMessages.required('password'), fieldMessages.string('password')))
    .min(1, fieldMessages.required('password'))
    .max(1024),
});

export const createTenantInput = z.object({
  tenant_name: requiredString('tenant_name', 100),
});

/** Path parameter; anything that is not a UUID cannot name a tenant. */
export const tenantIdParam = z.uuid();

/** The spec's timestamp format ("2020-03-24 10:21:14"), in UTC. */
export const specTimestamp = (date: Date) => date.toISOString().slice(0, 19).replace('T', ' ');
