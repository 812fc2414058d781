import { z } from 'zod';
import { CREDENTIAL_TOKEN_STATES, LINKED_ENTITY_TYPES } from './entities.js';

/**
 * Request and response shapes of the CRM.COM access-token API (customer credentials). Response
 * schemas are parsed before sending, so no hash can ever leave: they only name the fields below.
 */

const classification = z
  .string()
  .trim()
  .min(1)
  .max(50)
  .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only');

export const passCodeRulesInput = z
  .object({
    min_length: z.number().int().min(4).max(128).default(8),
    max_length: z.number().int().min(4).max(128).default(128),
    require_lowercase: z.boolean().default(false),
    require_uppercase: z.boolean().default(false),
    require_digit: z.boolean().default(false),
    require_symbol: z.boolean().default(false),
  })
  .strict()
  .refine((rules) => rules.min_length <= rules.max_length, { message: 'min_length must not exceed max_length', path: ['min_length'] });

export const communicationInput = z
  .object({
    channel: z.enum(['EMAIL', 'SMS']),
    /** E-mail subject; #tags allowed. Ignored for SMS. */
    subject: z.string().trim().min(1).max(200).optional(),
    /** Free text with #tags, e.g. "Dear #accounts_receivable.name, your code is #access_token.verification_code". */
    template: z.string().min(1).max(10_000),
  })
  .strict();

const definitionFields = {
  name: z.string().trim().min(1).max(100),
  classification: classification.nullable(),
  active: z.boolean(),
  identifier_format: z.enum(['EMAIL', 'PHONE', 'ANY']),
  pass_code_rules: passCodeRulesInput,
  require_verification: z.boolean(),
  verification_code_length: z.number().int().min(4).max(10),
  allow_without_credentials: z.boolean(),
  assign_on_registration: z.boolean(),
  communication: communicationInput.nullable(),
  /** `#access_token.pass_code` shows the pass code in clear (a security trade-off; README, CRM.COM). */
  communicate_pass_code: z.boolean(),
};

export const createDefinitionInput = z
  .object({
    ...definitionFields,
    classification: definitionFields.classification.default(null),
    active: definitionFields.active.default(true),
    pass_code_rules: passCodeRulesInput.default({
      min_length: 8,
      max_length: 128,
      require_lowercase: false,
      require_uppercase: false,
      require_digit: false,
      require_symbol: false,
    }),
    require_verification: definitionFields.require_verification.default(false),
    verification_code_length: definitionFields.verification_code_length.default(6),
    allow_without_credentials: definitionFields.allow_without_credentials.default(false),
    assign_on_registration: definitionFields.assign_on_registration.default(false),
    communication: definitionFields.communication.default(null),
    communicate_pass_code: definitionFields.communicate_pass_code.default(false),
  })
  .strict();
export type CreateDefinitionInput = z.output<typeof createDefinitionInput>;

/** Every field optional; the merged definition is validated as a whole. */
export const updateDefinitionInput = z.object(definitionFields).partial().strict();
export type UpdateDefinitionInput = z.output<typeof updateDefinitionInput>;

export const idParams = z.object({ id: z.uuid() });

const timestamp = z.iso.datetime();

export const definitionView = z
  .object({
    id: z.string(),
    name: z.string(),
    classification: z.string().nullable(),
    active: z.boolean(),
    identifier_format: z.enum(['EMAIL', 'PHONE', 'ANY']),
    pass_code_rules: z.object({
      min_length: z.number(),
      max_length: z.number(),
      require_lowercase: z.boolean(),
      require_uppercase: z.boolean(),
      require_digit: z.boolean(),
      require_symbol: z.boolean(),
    }),
    require_verification: z.boolean(),
    verification_code_length: z.number(),
    allow_without_credentials: z.boolean(),
    assign_on_registration: z.boolean(),
    communication: z.object({ channel: z.enum(['EMAIL', 'SMS']), subject: z.string().nullable(), template: z.string() }).nullable(),
    communicate_pass_code: z.boolean(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'CrmAccessTokenDefinition' });

export const definitionListView = z.object({ content: z.array(definitionView) }).meta({ id: 'CrmAccessTokenDefinitionList' });

const contactId = z.string().trim().min(1).max(36);
const entityType = z.enum(LINKED_ENTITY_TYPES);

export const createTokenInput = z
  .object({
    classification: classification.optional(),
    identifier: z.string().trim().min(1).max(254).optional(),
    pass_code: z.string().min(1).max(128).optional(),
    /** Link on creation: the contact (its id) and what it is to CRM.COM. */
    contact_id: contactId.optional(),
    entity_type: entityType.default('REWARDS_PARTICIPANT'),
  })
  .strict()
  .refine((input) => !(input.pass_code && !input.identifier), { message: 'a pass code needs an identifier', path: ['pass_code'] });

export const linkInput = z.object({ contact_id: contactId, entity_type: entityType.default('REWARDS_PARTICIPANT') }).strict();
export const unlinkParams = z.object({ id: z.uuid(), entity_type: entityType });

export const verifyInput = z.object({ verification_code: z.string().trim().min(1).max(32) }).strict();

/** Self-service: the app knows the identifier (or the number) the customer registered with, not the token id. */
export const selfServiceVerifyInput = z
  .object({
    identifier: z.string().trim().min(1).max(254).optional(),
    number: z.string().trim().min(1).max(20).optional(),
    verification_code: z.string().trim().min(1).max(32),
  })
  .strict()
  .refine((input) => Boolean(input.identifier) !== Boolean(input.number), { message: 'give identifier or number', path: ['identifier'] });

export const listTokensQuery = z
  .object({
    contact_id: contactId.optional(),
    identifier: z.string().trim().min(1).max(254).optional(),
    state: z.enum(CREDENTIAL_TOKEN_STATES).optional(),
    page: z.coerce.number().int().min(1).max(10_000).default(1),
    size: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict();

export const tokenView = z
  .object({
    id: z.string(),
    number: z.string(),
    definition_id: z.string(),
    classification: z.string().nullable(),
    identifier: z.string().nullable(),
    has_pass_code: z.boolean(),
    has_authentication_code: z.boolean(),
    state: z.enum(CREDENTIAL_TOKEN_STATES),
    verified_at: timestamp.nullable(),
    entities: z.array(z.object({ entity_type: entityType, contact_id: z.string() })),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'CrmAccessToken' });

/** Generated secrets are shown once, in the response that generated them. */
export const createdTokenView = tokenView
  .extend({
    pass_code: z.string().optional(),
    authentication_code: z.string().optional(),
  })
  .meta({ id: 'CreatedCrmAccessToken' });

export const resetPassCodeView = z.object({ id: z.string(), pass_code: z.string() }).meta({ id: 'ResetPassCode' });

export const tokenListView = z
  .object({
    content: z.array(tokenView),
    paging: z.object({ page: z.number(), size: z.number(), total: z.number() }),
  })
  .meta({ id: 'CrmAccessTokenList' });

export const stateChangeListView = z
  .object({
    content: z.array(
      z.object({
        from_state: z.enum(CREDENTIAL_TOKEN_STATES).nullable(),
        to_state: z.enum(CREDENTIAL_TOKEN_STATES),
        reason: z.string(),
        actor: z.string().nullable(),
        created_at: timestamp,
      }),
    ),
  })
  .meta({ id: 'CrmAccessTokenStateChanges' });

export const verifiedView = z.object({ id: z.string(), number: z.string(), state: z.enum(CREDENTIAL_TOKEN_STATES) }).meta({ id: 'VerifiedCrmAccessToken' });
