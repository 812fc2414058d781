import { DomainError, Locked, type DomainErrorKind } from '../errors.js';

/**
 * The one error type of the HTTP layer. `code` is a stable machine-readable id; each API family
 * renders it in its own documented shape (see error-handler.ts).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string, details?: Record<string, unknown>) => new ApiError(400, 'invalid_request', message, details);
export const notFound = (message = 'Not found') => new ApiError(404, 'not_found', message);
export const unauthorized = (message = 'Unauthorized', code = 'unauthorized') => new ApiError(401, code, message);
export const forbidden = (message = 'Forbidden', code = 'forbidden') => new ApiError(403, code, message);
export const conflict = (message: string, code = 'conflict') => new ApiError(409, code, message);
export const tooManyRequests = (retryAfterSeconds: number) =>
  new ApiError(
    429,
    'too_many_requests',
    'Too many attempts, try again later',
    { retry_after: retryAfterSeconds },
    { 'Retry-After': String(retryAfterSeconds) },
  );

/** How the HTTP families answer each kind of domain error (src/platform/errors.ts). */
const STATUS_OF_KIND: Record<DomainErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  locked: 429,
  unavailable: 503,
};

/** A domain error as the HTTP error every family's presenter renders; other errors pass through. */
export function fromDomainError(error: DomainError): ApiError {
  const headers = error instanceof Locked ? { 'Retry-After': String(error.retryAfterSeconds) } : undefined;
  return new ApiError(STATUS_OF_KIND[error.kind], error.code, error.message, error.details, headers);
}
