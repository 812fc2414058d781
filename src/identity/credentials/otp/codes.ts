import { randomInt } from 'node:crypto';
import { digestsEqual, deriveKey, hmac } from '../../../platform/crypto/secrets.js';
import type { OtpIdentifier } from './identifier.js';

/** Keys derived once from GATEHOUSE_SECRET, one per use, so a leaked hash of one kind says nothing about another. */
export interface OtpKeys {
  code: Buffer;
  identifier: Buffer;
  ip: Buffer;
}

export function createOtpKeys(secret: string): OtpKeys {
  return { code: deriveKey(secret, 'otp'), identifier: deriveKey(secret, 'otp-identifier'), ip: deriveKey(secret, 'otp-ip') };
}

/** Uniform decimal digits from the CSPRNG (randomInt has no modulo bias); leading zeros kept. */
export function generateCode(length: number): string {
  return String(randomInt(10 ** length)).padStart(length, '0');
}

/**
 * Keyed by the challenge id, so the same code in two challenges hashes differently and a 6-digit
 * hash cannot be reversed by trying all million codes without the server's secret.
 */
export function hashCode(keys: OtpKeys, challengeId: string, code: string): string {
  return hmac(keys.code, `${challengeId}:${code}`);
}

export function codeMatches(keys: OtpKeys, challengeId: string, presented: string, storedHash: string): boolean {
  return digestsEqual(storedHash, hashCode(keys, challengeId, presented));
}

export function hashIdentifier(keys: OtpKeys, identifier: OtpIdentifier): string {
  return hmac(keys.identifier, `${identifier.channel}:${identifier.value}`);
}

export function hashIp(keys: OtpKeys, ip: string): string {
  return hmac(keys.ip, ip);
}

/** What people type: "123 456", "123-456". Anything else stays as typed and simply fails to match. */
export function normalizePresentedCode(code: string): string {
  return code.replace(/[\s-]/g, '').slice(0, 32);
}
