import { describe, expect, it } from 'vitest';
import { COUNTRY_CODES } from '../../src/platform/countries.js';
import { ALPHA3_BY_ALPHA2, toAlpha2, toAlpha3 } from '../../src/identity/customers/sessionm/countries.js';

describe('SessionM country codes', () => {
  it('map every assigned ISO 3166-1 alpha-2 code to a distinct alpha-3 code', () => {
    expect([...ALPHA3_BY_ALPHA2.keys()].sort()).toEqual([...COUNTRY_CODES].sort());
    expect(new Set(ALPHA3_BY_ALPHA2.values()).size).toBe(COUNTRY_CODES.size);
    for (const alpha3 of ALPHA3_BY_ALPHA2.values()) expect(alpha3).toMatch(/^[A-Z]{3}$/);
  });

  it('read alpha-3 (as SessionM sends it) or alpha-2, in any case, and answer alpha-3', () => {
    expect(toAlpha2('USA')).toBe('US');
    expect(toAlpha2('gbr')).toBe('GB');
    expect(toAlpha2('SK')).toBe('SK');
    expect(toAlpha2('XX')).toBeUndefined();
    expect(toAlpha2('Boston')).toBeUndefined();
    expect(toAlpha3('DE')).toBe('DEU');
    expect(toAlpha3(null)).toBeNull();
  });
});
