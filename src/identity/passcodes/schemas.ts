import { z } from 'zod';
import { fieldMessages, requiredOr } from '../tenants/schemas.js';
import { ALLOWED_CHARACTER_SETS, PASS_PHRASE_MODES, type PasscodeConfigRow } from './entities.js';
import { MANUAL_PHRASE_MAX_LENGTH } from './phrase.js';

export const PASS_PHRASE_LENGTH = { min: 4, max: 32 } as const;

/** Spec defaults for a tenant that never posted a configuration (issue #6). */
export const DEFAULT_PASSCODE_CONFIG = {
  passKeyExpires: 300,
  passPhraseMode: 'system',
  allowedCharacters: 'numeric',
  passPhraseLength: 6,
} as const satisfies Pick<PasscodeConfigRow, 'passKeyExpires' | 'passPhraseMode' | 'allowedCharacters' | 'passPhraseLength'>;

const label = (field: string) => `tenant config details.${field.replace(/_/g, ' ')}`;

/** Laravel accepted "60" as well as 60; so do we, but nothing looser (no "", true or 1e3). */
const integerField = (field: string, min: number, max: number) =>
  z.preprocess(
    (value) => (typeof value === 'string' && /^\s*\d{1,9}\s*$/.test(value) ? Number(value) : value),
    z
      .number(requiredOr(`The ${label(field)} field is required.`, `The ${label(field)} must be an integer.`))
      .int(`The ${label(field)} must be an integer.`)
      .min(min, `The ${label(field)} must be between ${min} and ${max}.`)
      .max(max, `The ${label(field)} must be between ${min} and ${max}.`),
  );

const selection = <T extends readonly [string, ...string[]]>(field: string, values: T) =>
  z.enum(values, requiredOr(`The ${label(field)} field is required.`, `The selected ${label(field)} is invalid.`));

/**
 * POST …/identity/passcode/config. The spec's request spells `pass_pharse_allowed_characters`
 * (sic) while its responses say `pass_phrase_method`; both the spec's spelling and the corrected
 * `pass_phrase_allowed_characters` are accepted.
 */
export const passcodeConfigInput = (bounds: { expiresMinSeconds: number; expiresMaxSeconds: number }) =>
  z
    .object(
      {
        tenant_config_details: z
          .object(
            {
              pass_key_expires: integerField('pass_key_expires', bounds.expiresMinSeconds, bounds.expiresMaxSeconds),
              pass_phrase: selection('pass_phrase', PASS_PHRASE_MODES),
              pass_pharse_allowed_characters: selection('pass_pharse_allowed_characters', ALLOWED_CHARACTER_SETS).optional(),
              pass_phrase_allowed_characters: selection('pass_phrase_allowed_characters', ALLOWED_CHARACTER_SETS).optional(),
              pass_phrase_length: integerField('pass_phrase_length', PASS_PHRASE_LENGTH.min, PASS_PHRASE_LENGTH.max).optional(),
            },
            requiredOr('The tenant config details field is required.', 'The tenant config details must be an object.'),
          )
          .refine(
            (details) =>
              !details.pass_pharse_allowed_characters ||
              !details.pass_phrase_allowed_characters ||
              details.pass_pharse_allowed_characters === details.pass_phrase_allowed_characters,
            {
              message: 'The tenant config details.pass phrase allowed characters are given twice with different values.',
              path: ['pass_phrase_allowed_characters'],
            },
          ),
      },
      requiredOr('The tenant config details field is required.', 'The request body must be a JSON object.'),
    )
    .transform(({ tenant_config_details: details }) => ({
      passKeyExpires: details.pass_key_expires,
      passPhraseMode: details.pass_phrase,
      allowedCharacters: details.pass_pharse_allowed_characters ?? details.pass_phrase_allowed_characters ?? DEFAULT_PASSCODE_CONFIG.allowedCharacters,
      passPhraseLength: details.pass_phrase_length ?? DEFAULT_PASSCODE_CONFIG.passPhraseLength,
    }));
export type PasscodeConfigInput = z.output<ReturnType<typeof passcodeConfigInput>>;

/** A JSON number is taken as the digits it spells, so `{"pass_key": 23456}` works like the spec's "23456". */
const asText = (value: unknown) => (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? String(value) : value);

/** POST …/identity/passcode, from the customer-facing site. */
export const passcodeSubmissionInput = z.object(
  {
    pass_key: z.preprocess(
      asText,
      z
        .string(requiredOr(fieldMessages.required('pass_key'), fieldMessages.string('pass_key')))
        .trim()
        .min(1, fieldMessages.required('pass_key'))
        .max(100, fieldMessages.max('pass_key', 100)),
    ),
    pass_phrase: z.preprocess(
      (value) => (value === null || value === '' ? undefined : asText(value)),
      z.string(fieldMessages.string('pass_phrase')).trim().max(MANUAL_PHRASE_MAX_LENGTH, fieldMessages.max('pass_phrase', MANUAL_PHRASE_MAX_LENGTH)).optional(),
    ),
  },
  requiredOr(fieldMessages.required('pass_key'), 'The request body must be a JSON object.'),
);

/** The agent's path parameter. Longer than any stored key is simply not found (and audited as such). */
export const passKeyParam = z.string().trim().min(1).max(1024);
