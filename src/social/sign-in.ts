import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../db/orm.js';
import type { CredentialLimiter } from '../http/rate-limit.js';
import { recordLoginAttempt, type AttemptContext } from '../login-attempts/service.js';
import { AccountLinkError, customerForIdentity, type LinkedCustomer, type NewCustomerProfile } from './account-linking.js';
import { IdentityVerificationError, type IdentityProvider, type VerifiedIdentity } from './identity.js';

export interface SocialSignInDependencies {
  orm: Orm;
  /** The token-credential limiter (server.ts `limiters.token`): failed verifications count per IP. */
  limiter: CredentialLimiter;
}

export interface SocialSignInInput {
  provider: IdentityProvider;
  /** Verifies the presented credential; throws IdentityVerificationError when it is not acceptable. */
  verify: () => Promise<VerifiedIdentity>;
  attempt: AttemptContext & { ip: string };
  profile: NewCustomerProfile;
}

/** Every social sign-in shares one limiter key per IP, whichever provider or endpoint it used. */
export const socialLimitKey = (ip: string) => `social:${ip}`;

/**
 * Verify, then find or create the customer, leaving a login attempt either way. Nothing is written
 * to customers before the credential is verified. Callers check the limiter first and map the
 * errors (IdentityVerificationError, AccountLinkError, ProviderUnavailableError) to their API family.
 */
export async function signInWithProvider(deps: SocialSignInDependencies, input: SocialSignInInput): Promise<LinkedCustomer> {
  const em = deps.orm.em.fork() as EntityManager;
  const attempt = { method: input.provider, ...input.attempt };
  let identity: VerifiedIdentity;
  try {
    identity = await input.verify();
  } catch (error) {
    if (error instanceof IdentityVerificationError) {
      await deps.limiter.recordFailure(socialLimitKey(input.attempt.ip), input.attempt.ip);
      await recordLoginAttempt(em, { ...attempt, result: 'failure' });
    }
    throw error;
  }
  try {
    const linked = await customerForIdentity(em, identity, input.profile);
    await recordLoginAttempt(em, { ...attempt, customerId: linked.customer.id, result: 'success' });
    return linked;
  } catch (error) {
    if (error instanceof AccountLinkError) await recordLoginAttempt(em, { ...attempt, result: 'failure' });
    throw error;
  }
}
