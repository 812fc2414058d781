import { isIP } from 'node:net';

/**
 * Second-level labels under which country registries sell domains (example.co.uk, example.com.au).
 * Without a public-suffix list this keeps "share the second-level domain" from widening to a whole
 * registry; SIGN_IN_REDIRECT_ALLOWED_DOMAINS covers anything unusual.
 */
const COUNTRY_SECOND_LEVELS = new Set(['ac', 'co', 'com', 'edu', 'gob', 'go', 'gov', 'gv', 'ltd', 'mil', 'ne', 'net', 'nic', 'nom', 'or', 'org', 'plc', 'sch']);

const isLoopback = (host: string) => host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);

/** The domain every host of the site shares: crm.example.com → example.com, crm.example.co.uk → example.co.uk. */
export function siteDomain(host: string): string {
  const labels = host.toLowerCase().split('.');
  if (labels.length <= 2) return labels.join('.');
  const [secondLevel, topLevel] = labels.slice(-2) as [string, string];
  const keep = topLevel.length === 2 && COUNTRY_SECOND_LEVELS.has(secondLevel) ? 3 : 2;
  return labels.slice(-keep).join('.');
}

const withinDomain = (host: string, domain: string) => host === domain || host.endsWith(`.${domain}`);

/**
 * REMP's rule for the `url` a sign-in returns to: it must share at least the second-level domain
 * with the CRM (crm.example.com accepts *.example.com), or be one of the extra allowed domains
 * (or their subdomains). A localhost issuer accepts only loopback hosts; an IP issuer only itself.
 * Relative URLs resolve against the issuer. Returns the absolute URL, or undefined when refused.
 */
export function allowedReturnUrl(raw: string | undefined, issuer: string, allowedDomains: readonly string[]): URL | undefined {
  let url: URL;
  try {
    url = new URL(raw && raw.trim() !== '' ? raw.trim() : '/', `${issuer}/`);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username || url.password) return undefined;
  const host = url.hostname.toLowerCase();
  if (allowedDomains.some((domain) => withinDomain(host, domain))) return url;
  const issuerHost = new URL(issuer).hostname.toLowerCase();
  if (isLoopback(issuerHost)) return isLoopback(host) ? url : undefined;
  if (isIP(issuerHost.replace(/^\[|\]$/g, ''))) return host === issuerHost ? url : undefined;
  return withinDomain(host, siteDomain(issuerHost)) ? url : undefined;
}

/**
 * The Domain attribute for the `n_token` cookie: the site domain, so every host that may be
 * returned to receives it. Host-only on localhost and IP issuers, where Domain is not allowed.
 */
export function sessionCookieDomain(issuer: string): string | undefined {
  const host = new URL(issuer).hostname.toLowerCase();
  if (isLoopback(host) || isIP(host.replace(/^\[|\]$/g, '')) || !host.includes('.')) return undefined;
  return siteDomain(host);
}
