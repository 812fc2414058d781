import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';
import { ApiError } from './errors.js';

/** Seconds a caller is asked to wait after a database outage (RFC 9110 §10.2.3 Retry-After). */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;

/**
 * PostgreSQL SQLSTATEs that mean "the server cannot serve you right now", not "your statement is
 * wrong" (PostgreSQL manual, Appendix A): class 08 connection exceptions except 08P01 (a protocol
 * violation is our bug, e.g. a NUL byte in a parameter), the 57P shutdown/start-up states, and
 * too_many_connections.
 */
const UNAVAILABLE_SQLSTATES = new Set(['08000', '08001', '08003', '08004', '08006', '08007', '57P01', '57P02', '57P03', '53300']);

/** Socket-level failures reaching the database host (node:net / pg). */
const UNAVAILABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** node-postgres, pg-pool and knex/tarn phrase their connection failures without a code. */
const UNAVAILABLE_MESSAGES = [
  /connection terminated/i,
  /timeout acquiring a connection/i,
  /timeout exceeded when trying to connect/i,
  /client has encountered a connection error and is not queryable/i,
  /connection is closed/i,
  /terminating connection due to administrator command/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
];

/**
 * Whether an error means the database is unreachable (refused, dropped, restarting, pool starved),
 * as opposed to a query that failed on its merits. Walks `cause` chains and AggregateErrors
 * (Node tries every address of a host name and reports all refusals together).
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== 'object' || error === null) return false;
  const candidate = error as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  const code = typeof candidate.code === 'string' ? candidate.code : undefined;
  if (code && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_SOCKET_CODES.has(code))) return true;
  if (candidate.name === 'KnexTimeoutError') return true;
  // A SQLSTATE names the statement's own failure: its message is not a connection problem.
  const isSqlState = code !== undefined && /^[0-9A-Z]{5}$/.test(code) && !UNAVAILABLE_SQLSTATES.has(code);
  if (!isSqlState && typeof candidate.message === 'string' && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(candidate.message as string))) return true;
  if (Array.isArray(candidate.errors) && candidate.errors.some((each) => isDatabaseUnavailable(each, depth + 1))) return true;
  return isDatabaseUnavailable(candidate.cause, depth + 1);
}

/** Rejects when `work` has not settled within `ms` (the work itself is left to finish or fail unobserved). */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  work.catch(() => {});
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/** Decides whether an unexpected error is really a database outage. */
export type OutageCheck = (error: unknown) => Promise<boolean>;

/**
 * Not every driver failure says what it is: when a connection drops inside a transaction, knex
 * rejects the next statement with "Transaction query already complete" and no cause. So an error
 * that is not recognisable as a connection failure is followed by one probe of the database; if the
 * database cannot answer either, the request met an outage (503), otherwise it met a bug (500).
 */
export function createOutageCheck(probe: () => Promise<unknown>, timeoutMs = 1000): OutageCheck {
  return async (error) => {
    if (isDatabaseUnavailable(error)) return true;
    try {
      await withTimeout(probe(), timeoutMs);
      return false;
    } catch {
      return true;
    }
  };
}

/** The 503 every family renders for a database outage; `temporarily_unavailable` is RFC 6749 §4.1.2.1's code. */
export const databaseUnavailable = () =>
  new ApiError(503, 'temporarily_unavailable', 'The service is temporarily unavailable. Try again shortly.', undefined, {
    'Retry-After': String(OUTAGE_RETRY_AFTER_SECONDS),
  });

const translatedProviders = new WeakSet<Provider>();

/**
 * oidc-provider catches every error inside its own routes and answers `server_error` (500). A
 * database outage there is not a server bug but a temporary condition, so this turns those answers
 * into 503 `temporarily_unavailable` with Retry-After, in JSON or as the provider's HTML error page.
 * The provider reports the original error through its 'server_error' event before its response is
 * written, which is where the outage check starts. Installed once per provider instance; it must
 * run before the provider's request handler is first built (`provider.callback()` composes the
 * middleware stack then).
 */
export function translateProviderOutages(provider: Provider, isOutage: OutageCheck, renderErrorPage: (error: string, description: string) => string) {
  if (translatedProviders.has(provider)) return;
  translatedProviders.add(provider);
  const checks = new WeakMap<object, Promise<boolean>>();
  provider.on('server_error', (ctx: object, error: unknown) => {
    checks.set(ctx, isOutage(error));
  });
  provider.use(async (ctx: Context, next: Next) => {
    await next();
    // Only a request that met a server error has a check to wait for.
    const check = checks.get(ctx);
    if (!check || !(await check)) return;
    const outage = databaseUnavailable();
    ctx.status = outage.status;
    for (const [name, value] of Object.entries(outage.headers ?? {})) ctx.set(name, value);
    if (ctx.response.is('html')) {
      ctx.body = renderErrorPage(outage.code, outage.message);
      ctx.type = 'html';
    } else {
      ctx.body = { error: outage.code, error_description: outage.message };
    }
  });
}
