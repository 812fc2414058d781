import { describe, expect, it } from 'vitest';
import { normalizePassKey } from '../../src/identity/passcodes/pass-key.js';

describe('pass key normalisation', () => {
  it('brings the ways people write one phone number to one key', () => {
    const forms = ['+44 7700 900461', '+44 (0) 7700-900461', '+44.7700.900461', '+4407700900461', ' +447700900461 '];
    expect(new Set(forms.map(normalizePassKey))).toEqual(new Set(['+447700900461']));
    expect(normalizePassKey('(202) 555-0143')).toBe('2025550143');
  });

  it('keeps numbers without a country code and numbers with one apart', () => {
    expect(normalizePassKey('7700 900461')).not.toBe(normalizePassKey('+44 7700 900461'));
  });

  it('matches other keys without regard to case or spacing', () => {
    expect(normalizePassKey('  Birth   Place ')).toBe('birth place');
    expect(normalizePassKey('Account 12-34')).toBe('account 12-34');
  });
});
