import { createHmac, timingSafeEqual } from 'node:crypto';

/** Receivers should refuse signatures older than this (replays of a captured request). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** Hex HMAC-SHA256 over `${timestamp}.${body}`: the timestamp is signed so it cannot be replaced. */
function signaturePayload(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/** The X-Gatehouse-Signature value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`. */
export function signWebhook(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${signaturePayload(secret, timestamp, body)}`;
}

/**
 * What a receiver does (Gatehouse does not call it; it documents and tests the recipe): parse
 * `t` and every `v1`, refuse a timestamp outside the tolerance, compare in constant time over the
 * raw request body exactly as received.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | undefined | null,
  rawBody: string,
  options: { nowSeconds?: number; toleranceSeconds?: number } = {},
): boolean {
  if (!header) return false;
  const parts = header.split(',').map((part) => part.trim().split('=', 2) as [string, string | undefined]);
  const timestamp = Number(parts.find(([name]) => name === 't')?.[1]);
  const signatures = parts.filter(([name, value]) => name === 'v1' && value).map(([, value]) => value!);
  if (!Number.isInteger(timestamp) || signatures.length === 0) return false;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? SIGNATURE_TOLERANCE_SECONDS)) return false;
  const expected = Buffer.from(signaturePayload(secret, timestamp, rawBody), 'hex');
  return signatures.some((candidate) => {
    const presented = Buffer.from(candidate, 'hex');
    return presented.length === expected.length && timingSafeEqual(presented, expected);
  });
}
