import type { Context, Next } from 'koa';
import { ApiError } from './errors.js';

/** ES2024 String.prototype.isWellFormed (Node 20+): no lone surrogate. Not yet in TypeScript's ES2023 lib. */
const isWellFormed = (value: string) => (value as string & { isWellFormed(): boolean }).isWellFormed();

/**
 * PostgreSQL text cannot hold NUL, and a string that is not well-formed UTF-16 (a lone surrogate)
 * or came from bytes that are not UTF-8 (RFC 3629 §3) cannot be stored faithfully either. Such
 * strings reached queries and came back as 500s; here they are refused with 400 before any route,
 * grant or provider code sees them.
 */
export function isCleanText(value: string): boolean {
  return !value.includes('\u0000') && isWellFormed(value);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8, refusing malformed sequences instead of replacing them with U+FFFD. */
export function decodeUtf8(bytes: Uint8Array, where: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw invalidText(where);
  }
}

/**
 * Node decodes the request line and header values as Latin-1 (RFC 9110 §5.5 obs-text), one
 * character per byte; re-reading those bytes as UTF-8 tells whether the client sent UTF-8.
 */
function assertUtf8Latin1Bytes(value: string, where: string) {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range, NUL included, is what is being tested for.
  if (/^[\x00-\x7f]*$/.test(value)) return;
  decodeUtf8(Buffer.from(value, 'latin1'), where);
}

const INVALID_TEXT = 'must be UTF-8 text without NUL characters';

/** A 400 naming the field (or the part of the request) as zod errors do, so each family renders it the same way. */
export const invalidText = (name: string) => new ApiError(400, 'invalid_request', `${name}: ${INVALID_TEXT}`, { fields: { [name]: [INVALID_TEXT] } });

/**
 * Splits `application/x-www-form-urlencoded` text (WHATWG URL "urlencoded parsing", which query
 * strings share) into decoded pairs, refusing percent-escapes that are malformed or do not form
 * UTF-8: `decodeURIComponent` throws on those where `URLSearchParams` would quietly substitute
 * U+FFFD.
 */
export function decodeUrlEncoded(text: string, where: string, maxPairs: number): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  if (text === '') return pairs;
  const parts = text.split('&');
  if (parts.length > maxPairs) throw new ApiError(400, 'invalid_request', `${where}: more than ${maxPairs} parameters`);
  const decode = (component: string, name: string) => {
    try {
      return decodeURIComponent(component.replace(/\+/g, ' '));
    } catch {
      throw invalidText(name);
    }
  };
  for (const part of parts) {
    if (part === '') continue;
    const separator = part.indexOf('=');
    const key = decode(separator < 0 ? part : part.slice(0, separator), where);
    if (!isCleanText(key)) throw invalidText(where);
    const value = separator < 0 ? '' : decode(part.slice(separator + 1), key);
    if (!isCleanText(value)) throw invalidText(key);
    pairs.push([key, value]);
  }
  return pairs;
}

const MAX_DEPTH = 32;

/**
 * Every key and string in a parsed body, however deep (iteratively: depth is attacker-chosen).
 * A refusal names the field by its path (`user.email`), or `where` at the root.
 */
export function assertCleanValue(root: unknown, where: string) {
  const pending: Array<{ value: unknown; path: string[] }> = [{ value: root, path: [] }];
  while (pending.length > 0) {
    const { value, path } = pending.pop()!;
    const name = path.length ? path.join('.') : where;
    if (typeof value === 'string') {
      if (!isCleanText(value)) throw invalidText(name);
    } else if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value)) {
      if (path.length >= MAX_DEPTH) throw new ApiError(400, 'invalid_request', `${where}: nested more than ${MAX_DEPTH} levels deep`);
      for (const [key, child] of Object.entries(value)) {
        if (!isCleanText(key)) throw invalidText(name);
        pending.push({ value: child, path: [...path, key] });
      }
    }
  }
}

/** Headers whose values reach queries: credentials looked up by hash or id, the recorded user agent. */
const QUERIED_HEADERS = ['authorization', 'x-api-key', 'api_key', 'api-key', 'user-agent'];

function assertCleanHeaders(ctx: Context) {
  for (const name of QUERIED_HEADERS) {
    const raw = ctx.req.headers[name];
    for (const value of Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) {
      const where = `header ${name}`;
      assertUtf8Latin1Bytes(value, where);
      if (!isCleanText(value)) throw invalidText(where);
    }
  }
  // RFC 6749 §2.3.1: client_id and client_secret are form-encoded, then Base64-encoded, in Basic
  // credentials; the decoded client_id is what gets looked up.
  const basic = /^basic\s+(\S+)\s*$/i.exec(ctx.get('authorization'));
  if (basic) {
    const decoded = decodeUtf8(Buffer.from(basic[1]!, 'base64'), 'header authorization');
    const separator = decoded.indexOf(':');
    for (const part of separator < 0 ? [decoded] : [decoded.slice(0, separator), decoded.slice(separator + 1)]) {
      let value: string;
      try {
        value = decodeURIComponent(part.replace(/\+/g, ' '));
      } catch {
        throw invalidText('header authorization');
      }
      if (!isCleanText(part) || !isCleanText(value)) throw invalidText('header authorization');
    }
  }
}

function assertCleanPath(ctx: Context) {
  assertUtf8Latin1Bytes(ctx.path, 'path');
  for (const segment of ctx.path.split('/')) {
    // Without a percent-escape the segment is itself, already checked as UTF-8; NUL and lone
    // surrogates can only arrive escaped.
    if (!segment.includes('%')) continue;
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw invalidText('path');
    }
    if (!isCleanText(decoded)) throw invalidText('path');
  }
}

/**
 * The one input gate, after the body pipeline and before every router and the provider: path
 * segments, query parameters, the headers that reach queries, and every string of the parsed body.
 */
export async function inputGate(ctx: Context, next: Next) {
  assertCleanPath(ctx);
  assertUtf8Latin1Bytes(ctx.querystring, 'query');
  decodeUrlEncoded(ctx.querystring, 'query', 1000);
  assertCleanHeaders(ctx);
  assertCleanValue(ctx.request.body, 'body');
  await next();
}
