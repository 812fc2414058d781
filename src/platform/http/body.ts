import type { IncomingMessage } from 'node:http';
import type { Context, Next } from 'koa';
import { ApiError } from './errors.js';
import { decodeUrlEncoded, decodeUtf8 } from './input-gate.js';

declare module 'koa' {
  interface Request {
    /** The parsed request body (bodyPipeline): an object of JSON values or form fields, `{}` when none. */
    body?: unknown;
  }
}

export type BodyType = 'json' | 'form' | 'multipart';

export interface BodyPipelineOptions {
  /** Bytes a body may have, counted as they are read (MAX_BODY_BYTES). */
  maxBytes: number;
  /** Whether the route documents multipart/form-data bodies (REMP documents them for its forms). */
  acceptsMultipart(method: string, path: string): boolean;
}

const MAX_PARAMETERS = 1000;

/** Keys that reach Object.prototype when a body is merged or assigned into another object. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

// The rest of an oversized body is never read: the connection closes after the answer. RFC 6749
// §5.2 has no code for it, so at /oauth/* it is invalid_request.
const tooLarge = (maxBytes: number, oauth: boolean) =>
  new ApiError(413, oauth ? 'invalid_request' : 'payload_too_large', `request body exceeds ${Math.round(maxBytes / 1024)} kB`, undefined, {
    Connection: 'close',
  });
const unsupported = (message: string, oauth = false) => new ApiError(415, oauth ? 'invalid_request' : 'unsupported_media_type', message);
const malformed = (message: string) => new ApiError(400, 'invalid_request', `body: ${message}`);

/**
 * Reads the body into memory, counting the bytes actually received. Content-Length is only a
 * claim (and absent with chunked transfer coding, RFC 9112 §7.1), so it is used to refuse early,
 * never to decide how much to read.
 *
 * With stream events rather than `for await` over the request: its async iterator costs more per
 * request than the rest of this pipeline together (bench (a), README Benchmarks, Eighth session).
 */
function readBounded(req: IncomingMessage, maxBytes: number, oauth: boolean): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(maxBytes, oauth));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = (error?: Error) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onIncomplete);
      req.off('close', onClose);
      if (error) reject(error);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      // The rest is never read; the socket stays open so that the 413 is delivered (then closed).
      req.pause();
      stop(tooLarge(maxBytes, oauth));
    };
    const onEnd = () => {
      stop();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received));
    };
    // The client went away mid-body; nobody will read this answer.
    const onIncomplete = () => stop(malformed('the request body was not received completely'));
    const onClose = () => {
      if (!req.complete) onIncomplete();
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onIncomplete);
    req.on('close', onClose);
  });
}

function objectFromPairs(pairs: Iterable<[string, string]>): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  let count = 0;
  for (const [key, value] of pairs) {
    if (++count > MAX_PARAMETERS) throw malformed(`more than ${MAX_PARAMETERS} parameters`);
    if (PROTOTYPE_KEYS.has(key)) throw malformed(`the key "${key}" is not accepted`);
    const existing = result[key];
    // Repeated names become a list, as node:querystring (and so oidc-provider) reads them.
    result[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return result;
}

function parseJson(text: string): Record<string, unknown> {
  let root: unknown;
  try {
    root = JSON.parse(text, (key, value: unknown) => {
      if (PROTOTYPE_KEYS.has(key)) throw new ApiError(400, 'invalid_request', `body: the key "${key}" is not accepted`);
      return value;
    });
  } catch (error) {
    // JSON.parse's message quotes the body: it is neither shown nor logged.
    throw error instanceof ApiError ? error : malformed('malformed JSON');
  }
  if (typeof root !== 'object' || root === null || Array.isArray(root)) throw malformed('must be a JSON object');
  return root as Record<string, unknown>;
}

async function parseMultipart(bytes: Buffer, contentType: string): Promise<Record<string, string | string[]>> {
  // Only text fields are accepted, so the whole body must be UTF-8 (files are refused below).
  decodeUtf8(bytes, 'body');
  let form: FormData;
  try {
    // The Fetch API's multipart parser works on the bytes already in memory: no temporary files.
    form = await new Response(new Uint8Array(bytes), { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw malformed('malformed multipart/form-data');
  }
  const pairs: Array<[string, string]> = [];
  let file = false;
  form.forEach((value, key) => {
    if (typeof value === 'string') pairs.push([key, value]);
    else file = true;
  });
  if (file) throw unsupported('file uploads are not accepted');
  return objectFromPairs(pairs);
}

function assertUtf8Charset(ctx: Context, oauth: boolean) {
  const charset = ctx.request.charset;
  if (charset && charset.toLowerCase() !== 'utf-8' && charset.toLowerCase() !== 'utf8')
    throw unsupported(`charset ${charset} is not supported; send UTF-8`, oauth);
}

const TOKEN_ENDPOINT = '/oauth/token';

/** A JSON token request as the form it stands for: string values only (numbers and booleans as text). */
function jsonAsForm(json: Record<string, unknown>): Record<string, string> {
  const form: Record<string, string> = {};
  for (const [key, value] of Object.entries(json)) {
    if (typeof value === 'string') form[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') form[key] = String(value);
    else if (value !== null) throw malformed(`${key} must be a string`);
  }
  return form;
}

/**
 * The one body pipeline: every request body, on every path, is read here with the byte limit and
 * parsed once. JSON (an object), form and, where a route documents it, multipart bodies become
 * `ctx.request.body`; anything else is refused with 415 (RFC 9110 §15.5.16).
 *
 * At /oauth/* oidc-provider applies its own content-type rules (form bodies only; a JSON token
 * request is handed over as the form it stands for). It reads an
 * already-consumed request's body from `req.body` (lib/shared/selective_body.js), so the parsed
 * form, or the raw bytes of any other type for it to refuse, are handed over there: the provider
 * never reads the socket itself, and the same limit applies.
 */
export function bodyPipeline(options: BodyPipelineOptions) {
  return async (ctx: Context, next: Next) => {
    const { req } = ctx;
    const hasBody = req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined;
    const atProvider = ctx.path.startsWith('/oauth/');
    if (!hasBody) {
      ctx.request.body = {};
      return next();
    }
    const encoding = ctx.get('content-encoding').trim().toLowerCase();
    // A compressed body's size after inflation is unbounded by its size on the wire.
    if (encoding && encoding !== 'identity') throw unsupported(`content-encoding ${encoding} is not supported`, atProvider);

    const bytes = await readBounded(req, options.maxBytes, atProvider);
    let body: Record<string, unknown> = {};
    let providerBody: unknown = bytes;
    if (bytes.length === 0) {
      providerBody = body;
    } else if (ctx.is('application/x-www-form-urlencoded')) {
      assertUtf8Charset(ctx, atProvider);
      body = objectFromPairs(decodeUrlEncoded(decodeUtf8(bytes, 'body'), 'body', MAX_PARAMETERS));
      providerBody = body;
    } else if (ctx.path === TOKEN_ENDPOINT && ctx.is('json', '+json')) {
      // SessionM's integrators send the password grant as JSON (sessionm-s2s-signup-login, Step
      // 3). A compatibility extension of RFC 6749 §3.2: the same parameters, each a string, go
      // through the same validation as a form, which is what the provider is then handed.
      assertUtf8Charset(ctx, atProvider);
      body = jsonAsForm(parseJson(decodeUtf8(bytes, 'body')));
      providerBody = body;
      req.headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (atProvider) {
      // Not a form: the provider refuses it with its own invalid_request.
    } else if (ctx.is('json', '+json')) {
      assertUtf8Charset(ctx, atProvider);
      body = parseJson(decodeUtf8(bytes, 'body'));
    } else if (ctx.is('multipart/form-data')) {
      if (!options.acceptsMultipart(ctx.method, ctx.path)) throw unsupported('multipart/form-data is not accepted here; send JSON or a form');
      body = await parseMultipart(bytes, ctx.get('content-type'));
    } else {
      throw unsupported('send application/json or application/x-www-form-urlencoded');
    }
    ctx.request.body = body;
    if (atProvider) (req as unknown as { body?: unknown }).body = providerBody;
    await next();
  };
}

/** Method + path template pairs (OpenAPI `{param}` syntax) that document multipart bodies. */
export function multipartRoutes(operations: Array<{ method: string; path: string; bodyTypes?: BodyType[] }>) {
  const patterns = operations
    .filter((operation) => operation.bodyTypes?.includes('multipart'))
    .map((operation) => ({
      method: operation.method.toUpperCase(),
      path: new RegExp(`^${operation.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
    }));
  return (method: string, path: string) => patterns.some((pattern) => pattern.method === method && pattern.path.test(path));
}

/** Body fields merged over query parameters, for endpoints REMP documents as accepting either. */
export function input(ctx: Context): Record<string, unknown> {
  const body = ctx.request.body;
  return { ...ctx.query, ...(body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {}) };
}
