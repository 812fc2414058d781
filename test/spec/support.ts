import { expect } from 'vitest';
import type { TestServer } from '../support/server.js';

/**
 * Helpers for replaying a spec's example requests as written: the exact method, path, headers
 * and body text (a body is sent as the string the spec shows, not re-serialised), so what reaches
 * Gatehouse is what an integrator copying the example sends.
 */

export interface Exchange {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the text when the body is not JSON (or empty). */
  body: any;
  text: string;
}

export async function send(
  server: TestServer,
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string } = {},
): Promise<Exchange> {
  const response = await fetch(`${server.url}${path}`, { method, headers: init.headers, body: init.body });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body, text };
}

/** `authorization: Basic …` of a client id and secret (SessionM's "Basic AUTH_ID"). */
export const basic = (clientId: string, secret: string) => `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;

// Formats for values that are necessarily different from the spec's (ids, times, tokens).
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** "2018-10-25 00:57:11" (SessionM, the passcode service). */
export const SPACE_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
/** RFC 3339, as REMP documents its dates. */
export const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Checks `actual` against a spec example field by field: every field of the example must be
 * there; a value given as a RegExp or an asymmetric matcher is checked by format, any other
 * value must be equal. Fields Gatehouse adds (documented extensions) are allowed.
 */
export function expectSpecShape(actual: unknown, example: unknown, path = 'body'): void {
  if (example instanceof RegExp) {
    expect(typeof actual === 'string' ? actual : String(actual), path).toMatch(example);
    return;
  }
  if (isAsymmetricMatcher(example)) {
    expect(actual, path).toEqual(example);
    return;
  }
  if (Array.isArray(example)) {
    expect(Array.isArray(actual), `${path} is an array`).toBe(true);
    expect((actual as unknown[]).length, `${path}.length`).toBe(example.length);
    for (const [index, item] of example.entries()) expectSpecShape((actual as unknown[])[index], item, `${path}[${index}]`);
    return;
  }
  if (example !== null && typeof example === 'object') {
    expect(actual !== null && typeof actual === 'object', `${path} is an object`).toBe(true);
    for (const [key, value] of Object.entries(example)) {
      expect(Object.hasOwn(actual as object, key), `${path}.${key} is present`).toBe(true);
      expectSpecShape((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
    }
    return;
  }
  expect(actual, path).toEqual(example);
}

function isAsymmetricMatcher(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { asymmetricMatch?: unknown }).asymmetricMatch === 'function';
}

export async function sql<T = any>(server: TestServer, query: string, params: unknown[] = []): Promise<T[]> {
  return (await server
    .em()
    .getConnection()
    .execute(query, params as never[])) as T[];
}
