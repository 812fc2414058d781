import { randomInt } from 'node:crypto';
import { digestsEqual, deriveKey, hmac, randomToken, sha256 } from '../../../platform/crypto/secrets.js';
import { Invalid } from '../../../platform/errors.js';
import { generateCode } from '../otp/codes.js';
import type { PassCodeRules } from './entities.js';

/** Generated pass codes avoid look-alikes (0/O, 1/l/I) because customers read them from a message. */
const LOWER = 'abcdefghjkmnpqrstuvwxyz';
const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGITS = '23456789';
const SYMBOLS = '!#$%*+-=?@_';

/** What is wrong with a pass code under the definition's rules; empty when it complies. */
export function passCodeProblems(passCode: string, rules: PassCodeRules): string[] {
  const problems: string[] = [];
  if (passCode.length < rules.min_length) problems.push(`at least ${rules.min_length} characters`);
  if (passCode.length > rules.max_length) problems.push(`at most ${rules.max_length} characters`);
  if (rules.require_lowercase && !/[a-z]/.test(passCode)) problems.push('a lower-case letter');
  if (rules.require_uppercase && !/[A-Z]/.test(passCode)) problems.push('an upper-case letter');
  if (rules.require_digit && !/\d/.test(passCode)) problems.push('a digit');
  if (rules.require_symbol && !/[^A-Za-z0-9]/.test(passCode)) problems.push('a symbol');
  return problems;
}

export function assertPassCodeAllowed(passCode: string, rules: PassCodeRules, field = 'pass_code'): void {
  const problems = passCodeProblems(passCode, rules);
  if (problems.length === 0) return;
  const message = `the pass code needs ${problems.join(', ')}`;
  throw new Invalid('invalid_pass_code', `${field}: ${message}`, { fields: { [field]: [message] } });
}

const pick = (alphabet: string) => alphabet[randomInt(alphabet.length)]!;

/** A pass code from the CSPRNG that satisfies the rules: one of each required class, the rest mixed, shuffled. */
export function generatePassCode(rules: PassCodeRules): string {
  const length = Math.min(Math.max(rules.min_length, 12), rules.max_length);
  const required = [
    rules.require_lowercase ? pick(LOWER) : undefined,
    rules.require_uppercase ? pick(UPPER) : undefined,
    rules.require_digit ? pick(DIGITS) : undefined,
    rules.require_symbol ? pick(SYMBOLS) : undefined,
  ].filter((each): each is string => each !== undefined);
  const alphabet = LOWER + UPPER + DIGITS;
  const characters = [...required, ...Array.from({ length: Math.max(0, length - required.length) }, () => pick(alphabet))];
  for (let index = characters.length - 1; index > 0; index -= 1) {
    const other = randomInt(index + 1);
    [characters[index], characters[other]] = [characters[other]!, characters[index]!];
  }
  return characters.join('');
}

/** 256 bits: an authentication code is a bearer credential on its own, so it must not be guessable. */
export function generateAuthenticationCode(): string {
  return randomToken(32);
}

export const hashAuthenticationCode = (code: string) => sha256(code);

export interface VerificationCodeKey {
  key: Buffer;
}

export function verificationCodeKey(secret: string): VerificationCodeKey {
  return { key: deriveKey(secret, 'access-token-verification') };
}

/** Uniform decimal digits from the CSPRNG, as OTP codes are. */
export function generateVerificationCode(length: number): string {
  return generateCode(length);
}

/** Keyed by the token id, so equal codes of two tokens hash differently and a hash cannot be brute-forced offline. */
export function hashVerificationCode(keys: VerificationCodeKey, tokenId: string, code: string): string {
  return hmac(keys.key, `${tokenId}:${code}`);
}

export function verificationCodeMatches(keys: VerificationCodeKey, tokenId: string, presented: string, storedHash: string): boolean {
  return digestsEqual(storedHash, hashVerificationCode(keys, tokenId, presented.replace(/[\s-]/g, '').slice(0, 32)));
}
