import { requestEntityManager } from '../../../platform/db/orm.js';
import type { Orm } from '../../../platform/db/orm.js';
import type { CredentialLimiter } from '../../limits/credential-limiter.js';
import { AttemptsLocked, CredentialRejected, signIn } from '../../sign-in.js';
import type { AttemptContext } from '../../login-attempts/service.js';
import { AccountLinkError, customerForIdentity, type LinkedCustomer, type NewCustomerProfile } from './account-linking.js';
import { IdentityVerificationError, type IdentityProvider, type VerifiedIdentity } from './identity.js';

export interface SocialSignInDependencies {
  orm: Orm;
  /** The token-credential limiter (server.ts `limiters.token`): failed verifications count per IP. */
  limiter: Pick<CredentialLimiter, 'reserve'>;
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
 * Google, Apple and Facebook sign-in through the one sign-in pipeline: reserve → verify the
 * third-party credential and find, link or create the customer → record the attempt. Nothing is
 * written to customers before the credential is verified. Throws AttemptsLocked, or the failure's
 * own error (IdentityVerificationError, AccountLinkError, ProviderUnavailableError) for callers to
 * map to their API family.
 */
export async function signInWithProvider(deps: SocialSignInDependencies, input: SocialSignInInput): Promise<LinkedCustomer> {
  const em = requestEntityManager(deps.orm);
  const outcome = await signIn(em, {
    limiter: deps.limiter,
    limiterKey: socialLimitKey(input.attempt.ip),
    method: input.provider,
    attempt: input.attempt,
    onSuccess: 'refund',
    verify: async () => {
      let identity: VerifiedIdentity;
      try {
        identity = await input.verify();
        const linked = await customerForIdentity(em, identity, input.profile);
        return { customerId: linked.customer.id, linked };
      } catch (error) {
        if (error instanceof IdentityVerificationError || error instanceof AccountLinkError) throw new CredentialRejected(error.message, error);
        throw error;
      }
    },
  });
  if (outcome.result === 'locked') throw new AttemptsLocked(outcome.retryAfterSeconds);
  if (outcome.result === 'failed') throw outcome.cause;
  return outcome.linked;
}
