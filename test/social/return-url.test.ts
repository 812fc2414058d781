import { describe, expect, it } from 'vitest';
import { allowedReturnUrl, sessionCookieDomain, siteDomain } from '../../src/identity/credentials/social/return-url.js';

const allowed = (url: string | undefined, issuer = 'https://crm.example.com', domains: string[] = []) => allowedReturnUrl(url, issuer, domains)?.href;

describe('the url a redirect sign-in may return to', () => {
  it('accepts any host sharing the issuer’s second-level domain, as REMP does', () => {
    expect(allowed('https://www.example.com/account')).toBe('https://www.example.com/account');
    expect(allowed('https://example.com/')).toBe('https://example.com/');
    expect(allowed('http://shop.eu.example.com:8443/x?y=1')).toBe('http://shop.eu.example.com:8443/x?y=1');
  });

  it('resolves relative URLs and a missing url against the issuer', () => {
    expect(allowed(undefined)).toBe('https://crm.example.com/');
    expect(allowed('/settings?a=1')).toBe('https://crm.example.com/settings?a=1');
  });

  it('refuses other domains, look-alikes, credentials and non-http schemes', () => {
    for (const url of [
      'https://evil.com/',
      'https://example.com.evil.com/',
      'https://evilexample.com/',
      '//evil.com/',
      '/\\evil.com/',
      'https://example.com@evil.com/',
      'https://u:p@www.example.com/',
      'javascript:alert(1)',
      'data:text/html,x',
      'ftp://www.example.com/',
    ]) {
      expect(allowed(url), url).toBeUndefined();
    }
  });

  it('does not widen a country second-level domain to the whole registry', () => {
    expect(siteDomain('crm.example.co.uk')).toBe('example.co.uk');
    expect(allowed('https://www.example.co.uk/', 'https://crm.example.co.uk')).toBe('https://www.example.co.uk/');
    expect(allowed('https://attacker.co.uk/', 'https://crm.example.co.uk')).toBeUndefined();
  });

  it('accepts the configured extra domains and their subdomains', () => {
    expect(allowed('https://partner.net/', undefined, ['partner.net'])).toBe('https://partner.net/');
    expect(allowed('https://shop.partner.net/', undefined, ['partner.net'])).toBe('https://shop.partner.net/');
    expect(allowed('https://notpartner.net/', undefined, ['partner.net'])).toBeUndefined();
  });

  it('lets a localhost issuer return to loopback hosts only', () => {
    expect(allowed('http://localhost:5173/', 'http://localhost:3000')).toBe('http://localhost:5173/');
    expect(allowed('http://127.0.0.1:8080/', 'http://localhost:3000')).toBe('http://127.0.0.1:8080/');
    expect(allowed('http://evil.com/', 'http://localhost:3000')).toBeUndefined();
    expect(allowed('http://localhost.evil.com/', 'http://localhost:3000')).toBeUndefined();
  });

  it('lets an IP issuer return only to itself', () => {
    expect(allowed('http://10.0.0.5:9000/', 'http://10.0.0.5:3000')).toBe('http://10.0.0.5:9000/');
    expect(allowed('http://10.0.0.6/', 'http://10.0.0.5:3000')).toBeUndefined();
  });

  it('scopes the n_token cookie to the site domain, host-only on localhost', () => {
    expect(sessionCookieDomain('https://crm.example.com')).toBe('example.com');
    expect(sessionCookieDomain('http://localhost:3000')).toBeUndefined();
    expect(sessionCookieDomain('http://10.0.0.5:3000')).toBeUndefined();
  });
});
