import { createHash } from 'node:crypto';
import { constantTimeEqual } from '../../../platform/crypto/secrets.js';

/**
 * Whether the token's `nonce` claim answers the nonce the caller holds. Apple's own sample code
 * (and Firebase's) puts the SHA-256 hex of a raw nonce into the authorization request and keeps
 * the raw one, so for Apple the hash of the presented nonce is accepted too; it cannot be forged
 * from the token, which only carries the hash.
 */
export function nonceMatches(claim: unknown, presented: string, options: { acceptSha256Hex?: boolean } = {}): boolean {
  if (typeof claim !== 'string' || claim === '') return false;
  if (constantTimeEqual(claim, presented)) return true;
  return Boolean(options.acceptSha256Hex) && constantTimeEqual(claim, createHash('sha256').update(presented).digest('hex'));
}
