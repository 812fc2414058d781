import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/platform/config.js';
import { deriveKey } from '../../src/platform/crypto/secrets.js';
import { retryDelayMs, webhookBody } from '../../src/jobs/webhook-dispatcher.js';
import { signWebhook, verifyWebhookSignature } from '../../src/identity/events/signature.js';
import { TEST_SECRET } from '../support/server.js';

const SECRET = 'whsec-unit-0123456789abcdef';
const body = '{"id":"e1","type":"UserUpdatedEvent"}';

describe('X-Gatehouse-Signature', () => {
  it('is t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body"> with the secret’s UTF-8 bytes as key', () => {
    const header = signWebhook(SECRET, body, 1_790_000_000);
    const expected = createHmac('sha256', SECRET).update(`1790000000.${body}`).digest('hex');
    expect(header).toBe(`t=1790000000,v1=${expected}`);
  });

  it('verifies within the tolerance and refuses a stale, tampered, foreign or malformed one', () => {
    const now = 1_790_000_000;
    const header = signWebhook(SECRET, body, now);
    expect(verifyWebhookSignature(SECRET, header, body, { nowSeconds: now + 299 })).toBe(true);
    expect(verifyWebhookSignature(SECRET, header, body, { nowSeconds: now + 301 })).toBe(false);
    expect(verifyWebhookSignature(SECRET, header, body.replace('e1', 'e2'), { nowSeconds: now })).toBe(false);
    expect(verifyWebhookSignature('another-secret-0123', header, body, { nowSeconds: now })).toBe(false);
    expect(verifyWebhookSignature(SECRET, header.replace(`t=${now}`, `t=${now + 1}`), body, { nowSeconds: now })).toBe(false);
    for (const malformed of [undefined, '', 'v1=abc', `t=${now}`, `t=soon,v1=${'0'.repeat(64)}`]) {
      expect(verifyWebhookSignature(SECRET, malformed, body, { nowSeconds: now })).toBe(false);
    }
  });

  it('defaults to a key derived from GATEHOUSE_SECRET when WEBHOOK_SECRET is unset', () => {
    const base = { NODE_ENV: 'test', GATEHOUSE_SECRET: TEST_SECRET, DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db' };
    expect(loadConfig(base).webhooks.secret).toBe(deriveKey(TEST_SECRET, 'webhooks').toString('base64url'));
    expect(loadConfig({ ...base, WEBHOOK_SECRET: SECRET }).webhooks.secret).toBe(SECRET);
    expect(() => loadConfig({ ...base, WEBHOOK_URLS: 'ftp://receiver.example' })).toThrow(/WEBHOOK_URLS/);
  });
});

describe('retries', () => {
  it('back off exponentially with jitter, up to WEBHOOK_RETRY_MAX_MS', () => {
    const settings = { retryBaseMs: 1000, retryMaxMs: 10_000 };
    for (let sample = 0; sample < 50; sample += 1) {
      expect(retryDelayMs(1, settings)).toBeGreaterThanOrEqual(500);
      expect(retryDelayMs(1, settings)).toBeLessThanOrEqual(1000);
      expect(retryDelayMs(3, settings)).toBeGreaterThanOrEqual(2000);
      expect(retryDelayMs(3, settings)).toBeLessThanOrEqual(4000);
      expect(retryDelayMs(20, settings)).toBeLessThanOrEqual(10_000);
      expect(retryDelayMs(20, settings)).toBeGreaterThanOrEqual(5000);
    }
  });

  it('send the same body on every attempt', () => {
    const event = {
      id: 'e1',
      type: 'UserUpdatedEvent',
      customerId: 'c1',
      payload: { occurred_at: '2026-11-26T10:00:00.000Z', data: { changed: ['email'] } },
      createdAt: new Date(),
    };
    expect(webhookBody(event)).toBe(webhookBody(event));
    expect(JSON.parse(webhookBody(event))).toEqual({
      id: 'e1',
      type: 'UserUpdatedEvent',
      occurred_at: '2026-11-26T10:00:00.000Z',
      customer_id: 'c1',
      data: { changed: ['email'] },
    });
  });
});
