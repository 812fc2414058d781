import { describe, expect, it } from 'vitest';
import { COUNTRY_CODES } from '../../src/platform/countries.js';
import { countryOfRempCountryId, NUMERIC_CODES } from '../../src/identity/customers/addresses/country-ids.js';

describe("REMP's deprecated country_id", () => {
  it('knows one distinct ISO 3166-1 numeric code for every assigned alpha-2 code', () => {
    expect([...NUMERIC_CODES.values()].sort()).toEqual([...COUNTRY_CODES].sort());
    expect(NUMERIC_CODES.size).toBe(COUNTRY_CODES.size);
  });

  it('reads a numeric code (with or without leading zeros) or an alpha-2/alpha-3 code', () => {
    expect(countryOfRempCountryId(703)).toBe('SK');
    expect(countryOfRempCountryId('703')).toBe('SK');
    expect(countryOfRempCountryId('040')).toBe('AT');
    expect(countryOfRempCountryId('40')).toBe('AT');
    expect(countryOfRempCountryId('cz')).toBe('CZ');
    expect(countryOfRempCountryId('SVK')).toBe('SK');
    expect(countryOfRempCountryId('999')).toBeUndefined();
    expect(countryOfRempCountryId('Slovakia')).toBeUndefined();
  });
});
