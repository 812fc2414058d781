/**
 * Domain errors (conventions §1): what went wrong, in the domain's words, with a stable
 * machine-readable `code`. Services throw these and never HTTP errors; each API family's
 * presenter (src/platform/http/error-handler.ts) turns them into its own documented shape, and
 * the OAuth endpoints into RFC 6749 errors (src/oauth/grants/request-errors.ts).
 */
export type DomainErrorKind = 'invalid' | 'unauthenticated' | 'forbidden' | 'not_found' | 'conflict' | 'locked' | 'unavailable';

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    message: string,
    /** Extra top-level fields some families document (`fields` per input, REMP's `reason`, …). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The input breaks a rule (a field, a combination, a state the request may not ask for). */
export class Invalid extends DomainError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super('invalid', code, message, details);
  }
}

export class NotFound extends DomainError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super('not_found', code, message, details);
  }
}

/** The request clashes with what exists (taken, already resolved, nothing to send to). */
export class Conflict extends DomainError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super('conflict', code, message, details);
  }
}

/** Known caller, not allowed (a tenant not yet active, a disabled sign-in method). */
export class Forbidden extends DomainError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super('forbidden', code, message, details);
  }
}

export class Unauthenticated extends DomainError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super('unauthenticated', code, message, details);
  }
}

/** Too many attempts: try again after `retryAfterSeconds`. */
export class Locked extends DomainError {
  constructor(
    readonly retryAfterSeconds: number,
    message = 'Too many attempts, try again later',
  ) {
    super('locked', 'too_many_requests', message, { retry_after: retryAfterSeconds });
  }
}

/** A dependency (database, identity provider, SMS or e-mail service) cannot be reached now. */
export class Unavailable extends DomainError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super('unavailable', code, message, details);
  }
}

/** `conflict('A user with this e-mail already exists', 'email_taken')`: the common 409 of unique keys. */
export const conflict = (message: string, code = 'conflict') => new Conflict(code, message);
