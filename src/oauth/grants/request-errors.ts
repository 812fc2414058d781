import { errors } from 'oidc-provider';
import { ZodError } from 'zod';
import { DomainError, Locked } from '../../platform/errors.js';
import { ApiError } from '../../platform/http/errors.js';
import { isDatabaseUnavailable, OUTAGE_RETRY_AFTER_SECONDS } from '../../platform/http/faults.js';
import { TooManyAttempts, type GrantHandler } from './context.js';

/** RFC 6749 §5.2 has no outage code; `temporarily_unavailable` is the one §4.1.2.1 defines for it. */
class TemporarilyUnavailable extends errors.OIDCProviderError {
  constructor() {
    super(503, 'temporarily_unavailable');
    this.expose = true;
    this.error_description = 'The service is temporarily unavailable. Try again shortly.';
  }
}

/**
 * oidc-provider answers any error that is not one of its own classes with 500 server_error. Grants
 * reuse Gatehouse's services, which refuse bad input with zod or domain errors: those are the client's
 * mistake (RFC 6749 §5.2 invalid_request), and a database outage is temporary (503), never a
 * server error.
 */
export function withRequestErrors(handler: GrantHandler): GrantHandler {
  return async (ctx) => {
    try {
      await handler(ctx);
    } catch (error) {
      if (error instanceof ZodError) {
        const issue = error.issues[0];
        throw new errors.InvalidRequest(`${issue?.path.join('.') || 'request'}: ${issue?.message ?? 'invalid'}`);
      }
      if (error instanceof Locked) {
        const retryAfter = error.retryAfterSeconds;
        ctx.set('Retry-After', String(retryAfter));
        throw new TooManyAttempts(retryAfter);
      }
      if (error instanceof DomainError && error.kind !== 'unavailable') throw new errors.InvalidRequest(error.message);
      if (error instanceof ApiError && error.status >= 400 && error.status < 500) throw new errors.InvalidRequest(error.message);
      if (isDatabaseUnavailable(error)) {
        ctx.set('Retry-After', String(OUTAGE_RETRY_AFTER_SECONDS));
        throw new TemporarilyUnavailable();
      }
      throw error;
    }
  };
}
