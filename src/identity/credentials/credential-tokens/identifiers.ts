import { z } from 'zod';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { normalizePhoneNumber } from '../../customers/phone.js';
import { Invalid } from '../../../platform/errors.js';
import type { IdentifierFormat } from './entities.js';

export interface TokenIdentifier {
  /** As given (trimmed), shown back to the back office and in communications. */
  identifier: string;
  /** What sign-in matches on. */
  normalized: string;
}

const invalidIdentifier = (message: string) => new Invalid('invalid_identifier', `identifier: ${message}`, { fields: { identifier: [message] } });

/** Checks an identifier against the definition's format ("Identifier: format email address"). */
export function parseTokenIdentifier(format: IdentifierFormat, raw: string): TokenIdentifier {
  const identifier = raw.trim();
  if (format === 'EMAIL') {
    if (!z.email().max(254).safeParse(identifier).success) throw invalidIdentifier('must be an e-mail address');
    return { identifier, normalized: identifier.toLowerCase() };
  }
  if (format === 'PHONE') {
    try {
      const e164 = normalizePhoneNumber(identifier);
      return { identifier: e164, normalized: e164 };
    } catch {
      throw invalidIdentifier('must be a phone number in international format (+357…)');
    }
  }
  if (identifier.length < 3 || /\s/.test(identifier)) throw invalidIdentifier('must be at least 3 characters without spaces');
  return { identifier, normalized: identifier.toLowerCase() };
}

/** The stored forms a presented identifier may match, whatever the definition's format was. */
export function identifierCandidates(presented: string): string[] {
  const trimmed = presented.trim();
  const candidates = new Set([trimmed.toLowerCase()]);
  if (trimmed.startsWith('+')) {
    const phone = parsePhoneNumberFromString(trimmed);
    if (phone?.isValid()) candidates.add(phone.number);
  }
  return [...candidates];
}
