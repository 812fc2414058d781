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
  new ApiError(429, 'too_many_requests', 'Too many attempts, try again later', { retry_after: retryAfterSeconds }, { 'Retry-After': String(retryAfterSeconds) });
