import { GRANT_TYPES } from '../clients/grant-types.js';
import { errors } from 'oidc-provider';
import { AccountLinkError } from '../../identity/credentials/social/account-linking.js';
import {
  IdentityVerificationError,
  ProviderUnavailableError,
  type IdentityProvider,
  type VerifiedIdentity,
} from '../../identity/credentials/social/identity.js';
import type { SocialProviders } from '../../identity/credentials/social/providers.js';
import { signInWithProvider } from '../../identity/credentials/social/sign-in.js';
import { AttemptsLocked } from '../../identity/sign-in.js';
import { attemptContext, param, TooManyAttempts, requireParam, respondWithCustomerTokens, type GrantDefinition } from './context.js';

export const TOKEN_EXCHANGE_GRANT = GRANT_TYPES.tokenExchange;
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** The (subject_token_type, subject_issuer) pairs Gatehouse accepts (spec README, grant identifiers). */
const SUBJECTS: Record<string, IdentityProvider> = {
  [`${ID_TOKEN_TYPE} https://accounts.google.com`]: 'google',
  [`${ID_TOKEN_TYPE} https://appleid.apple.com`]: 'apple',
  [`${ACCESS_TOKEN_TYPE} facebook`]: 'facebook',
};

/** 503 temporarily_unavailable: the identity provider could not be asked; nothing about the caller is known. */
class IdentityProviderUnavailable extends errors.OIDCProviderError {
  constructor(description: string) {
    super(503, 'temporarily_unavailable');
    this.expose = true;
    this.error_description = description;
  }
}

/** invalid_grant saying which check failed; oidc-provider's own keeps a fixed description. */
function invalidGrant(description: string) {
  const error = new errors.InvalidGrant();
  error.error_description = description;
  return error;
}

/** How to verify the subject token, or undefined when that provider is not configured. */
function verifierFor(
  providers: SocialProviders,
  provider: IdentityProvider,
  subjectToken: string,
  nonce: string | undefined,
): (() => Promise<VerifiedIdentity>) | undefined {
  const { google, apple, facebook } = providers;
  if (provider === 'google') return google && (() => google.verifyIdToken(subjectToken, { nonce }));
  if (provider === 'apple') return apple && (() => apple.verifyIdToken(subjectToken, { nonce }));
  return facebook && (() => facebook.verifyAccessToken(subjectToken));
}

/**
 * RFC 8693 token exchange of a third-party credential for Gatehouse tokens: a Google or Apple ID
 * token, or a Facebook user access token, signs the customer in (finding, linking or creating the
 * account) and the response is the standard token response plus `issued_token_type` (§2.2.1).
 *
 * Error codes follow issue #3 §6: an unsupported or unconfigured subject is `invalid_request`, a
 * credential that fails verification is `invalid_grant` (RFC 8693 §2.2.2 would say invalid_request
 * for both; invalid_grant keeps it in line with every other Gatehouse grant and with RFC 6749 §5.2).
 */
export const tokenExchangeGrant: GrantDefinition = {
  grantType: TOKEN_EXCHANGE_GRANT,
  parameters: ['subject_token', 'subject_token_type', 'subject_issuer', 'requested_token_type', 'nonce', 'scope', 'device_token', 'source'],
  buildHandler: (deps) => {
    const providers = deps.social;
    return async (ctx) => {
      const subjectToken = requireParam(ctx, 'subject_token');
      const subjectTokenType = requireParam(ctx, 'subject_token_type');
      const subjectIssuer = requireParam(ctx, 'subject_issuer');
      const requestedType = param(ctx, 'requested_token_type');
      if (requestedType && requestedType !== ACCESS_TOKEN_TYPE) throw new errors.InvalidRequest(`requested_token_type must be ${ACCESS_TOKEN_TYPE}`);
      const provider = SUBJECTS[`${subjectTokenType} ${subjectIssuer}`];
      if (!provider) throw new errors.InvalidRequest('unsupported subject_token_type and subject_issuer combination');
      const verify = verifierFor(providers, provider, subjectToken, param(ctx, 'nonce'));
      if (!verify) throw new errors.InvalidRequest(`sign-in with ${subjectIssuer} is not enabled`);

      let customerId: string;
      try {
        const attempt = attemptContext(ctx);
        const { customer } = await signInWithProvider(
          { orm: deps.orm, limiter: deps.limiters.token },
          { provider, verify, attempt, profile: { source: attempt.source ?? provider } },
        );
        customerId = customer.id;
      } catch (error) {
        if (error instanceof AttemptsLocked) {
          ctx.set('Retry-After', String(error.retryAfterSeconds));
          throw new TooManyAttempts(error.retryAfterSeconds);
        }
        if (error instanceof IdentityVerificationError || error instanceof AccountLinkError) throw invalidGrant(error.message);
        if (error instanceof ProviderUnavailableError) throw new IdentityProviderUnavailable(error.message);
        throw error;
      }
      await respondWithCustomerTokens(ctx, deps, customerId, TOKEN_EXCHANGE_GRANT);
      ctx.body = { ...(ctx.body as Record<string, unknown>), issued_token_type: ACCESS_TOKEN_TYPE };
    };
  },
};
