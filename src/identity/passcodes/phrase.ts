import { randomInt } from 'node:crypto';
import type { AllowedCharacters } from './entities.js';

/**
 * Alphabets for system-generated phrases, which an agent reads aloud over the phone: upper case
 * only (case cannot be heard), and the alphanumeric set drops 0/O and 1/I, which sound or look
 * alike when spelled out.
 */
const GENERATION_ALPHABETS: Record<AllowedCharacters, string> = {
  numeric: '0123456789',
  alphabets: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  alphanumeric: 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789',
};

/** A uniformly random phrase (crypto.randomInt has no modulo bias). */
export function generatePassPhrase(characters: AllowedCharacters, length: number): string {
  const alphabet = GENERATION_ALPHABETS[characters];
  let phrase = '';
  for (let index = 0; index < length; index += 1) phrase += alphabet[randomInt(alphabet.length)];
  return phrase;
}

/** What a customer may choose in manual mode: any script's letters, and spaces between words. */
const MANUAL_PATTERNS: Record<AllowedCharacters, RegExp> = {
  numeric: /^\d+$/,
  alphabets: /^[\p{L}\p{M}]+(?: [\p{L}\p{M}]+)*$/u,
  alphanumeric: /^[\p{L}\p{M}\d]+(?: [\p{L}\p{M}\d]+)*$/u,
};

const DESCRIPTIONS: Record<AllowedCharacters, string> = {
  numeric: 'digits',
  alphabets: 'letters and spaces',
  alphanumeric: 'letters, digits and spaces',
};

export const MANUAL_PHRASE_MAX_LENGTH = 100;

/**
 * Manual mode: the tenant's allowed characters apply to the customer's own phrase, and
 * pass_phrase_length is its minimum length (a longer secret is never weaker). Returns the
 * problem, or undefined when the phrase is acceptable.
 */
export function manualPhraseProblem(phrase: string, characters: AllowedCharacters, minLength: number): string | undefined {
  if ([...phrase].length < minLength) return `The pass phrase must be at least ${minLength} characters.`;
  if (!MANUAL_PATTERNS[characters].test(phrase)) return `The pass phrase may only contain ${DESCRIPTIONS[characters]}.`;
  return undefined;
}
