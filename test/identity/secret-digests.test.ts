import { describe, expect, it } from 'vitest';
import { clientSecretMatches } from '../../src/oauth/clients/service.js';
import { digestsEqual, sha256 } from '../../src/platform/crypto/secrets.js';

// Stored client secrets and API keys are SHA-256 digests, compared with the presented secret's
// digest directly (README Security): equal lengths always, so timingSafeEqual never throws.
describe('digest comparison', () => {
  it('matches the presented secret only', () => {
    const stored = sha256('s3cret-value');
    expect(clientSecretMatches(stored, 's3cret-value')).toBe(true);
    expect(clientSecretMatches(stored, 's3cret-valuf')).toBe(false);
    expect(clientSecretMatches(stored, '')).toBe(false);
    expect(clientSecretMatches(stored, 'x'.repeat(10_000))).toBe(false);
  });

  it('refuses digests of another length instead of throwing', () => {
    expect(digestsEqual(sha256('a'), sha256('a'))).toBe(true);
    expect(digestsEqual(sha256('a'), sha256('a').slice(1))).toBe(false);
    expect(digestsEqual('', sha256('a'))).toBe(false);
    // Same number of UTF-16 units, different number of bytes.
    expect(digestsEqual('é'.repeat(43), 'e'.repeat(43))).toBe(false);
  });
});
