import type { EntityManager } from '@mikro-orm/postgresql';
import type { DeferredWrite } from '../platform/db/companion-writes.js';
import type { CompanionRead, CredentialLimiter } from './limits/credential-limiter.js';
import { loginAttemptInsert, recordLoginAttempt, type AttemptContext } from './login-attempts/service.js';

/**
 * Thrown by a verifier for a credential that is wrong, unknown, expired or spent: the attempt
 * counts as a failure. Its message is for the caller's error response, never a secret.
 */
export class CredentialRejected extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'CredentialRejected';
  }
}

/** A domain error for callers that throw rather than branch: the limiter refused the attempt. */
export class AttemptsLocked extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`too many failed attempts, retry after ${retryAfterSeconds} seconds`);
    this.name = 'AttemptsLocked';
  }
}

export interface SignInRequest<T extends Verified, Row = never> {
  limiter: Pick<CredentialLimiter, 'reserve'>;
  /** What the limiter counts failures against (an account, a phone, or `device:<ip>` for 256-bit tokens). */
  limiterKey: string;
  /** The login-attempt method recorded for admins: password, otp, device_token, google, … */
  method: string;
  attempt: AttemptContext & { ip: string };
  /**
   * What the verifier reads (the account and pass code an identifier names), fetched in the
   * reservation's statement instead of a round trip of its own; its rows are handed to verify.
   */
  lookup?: CompanionRead<Row>;
  /** Checks the credential; returns whom it proves (a customer, or a tenant admin with no customer id), or throws CredentialRejected. */
  verify: (found: Row[]) => Promise<T>;
  /**
   * `clear` (default): a success clears the key's failures, as for an account's password.
   * `refund`: a success only gives its own attempt back, for keys shared by many credentials
   * (per IP), so one valid token cannot reset the count of guesses at others.
   */
  onSuccess?: 'clear' | 'refund';
  /**
   * A success's settlement and attempt record are not run here but handed back (`settlement`),
   * for the caller's next statement to carry (the token endpoint stores them with the tokens:
   * one round trip, one commit). The caller must claim or run it.
   */
  settleSuccessLater?: boolean;
}

/** What a verifier proves; `customerId` goes into the login-attempt record. */
export type Verified = { customerId?: string };

export type SignInOutcome<T extends Verified> =
  | { result: 'locked'; retryAfterSeconds: number }
  | { result: 'failed'; reason: string; cause?: unknown }
  | ({ result: 'success'; settlement?: DeferredWrite } & T);

/**
 * The one sign-in pipeline (issue #12 §3): reserve an attempt with the limiter (reading what the
 * verifier needs in the same statement) → verify the credential → settle the reservation and
 * record the login attempt (one statement, or handed to the caller's token statement with
 * `settleSuccessLater`) → hand back the customer, for the caller to issue tokens in its API
 * family's shape. Reserving first means N concurrent guesses verify at most the allowance
 * (issue #10 §2); an unexpected error (a database outage) gives the attempt back.
 */
export async function signIn<T extends Verified, Row = never>(em: EntityManager, request: SignInRequest<T, Row>): Promise<SignInOutcome<T>> {
  const reservation = await request.limiter.reserve<Row>(request.limiterKey, request.attempt.ip, request.lookup);
  // The record of the attempt commits with the settlement of its reservation: one statement.
  const attempt = (result: 'success' | 'failure' | 'locked', customerId?: string) =>
    loginAttemptInsert({ method: request.method, result, customerId, ...request.attempt });
  if (!reservation.allowed) {
    await recordLoginAttempt(em, { method: request.method, result: 'locked', ...request.attempt });
    return { result: 'locked', retryAfterSeconds: reservation.retryAfterSeconds };
  }
  let verified: T;
  try {
    verified = await request.verify(reservation.found);
  } catch (error) {
    if (!(error instanceof CredentialRejected)) {
      await reservation.release().catch(() => undefined);
      throw error;
    }
    await reservation.fail(attempt('failure'));
    return { result: 'failed', reason: error.message, cause: error.cause };
  }
  const recorded = attempt('success', verified.customerId);
  if (request.settleSuccessLater) {
    return { result: 'success', ...verified, settlement: reservation.later(request.onSuccess === 'refund' ? 'release' : 'succeed', recorded) };
  }
  await (request.onSuccess === 'refund' ? reservation.release(recorded) : reservation.succeed(recorded));
  return { result: 'success', ...verified };
}
