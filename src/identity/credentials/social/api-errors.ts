import { ApiError } from '../../../platform/http/errors.js';
import { AccountLinkError, type AccountLinkFailure } from './account-linking.js';
import { IdentityVerificationError, ProviderUnavailableError, providerName, type IdentityProvider } from './identity.js';

const LINK_STATUS: Record<AccountLinkFailure, number> = {
  email_missing: 400,
  email_not_verified: 400,
  account_disabled: 403,
  email_taken: 409,
};

/** Social sign-in failures in the REMP family's terms (`{status:"error", code, message}`). */
export function socialApiError(error: unknown): unknown {
  if (error instanceof IdentityVerificationError) {
    return new ApiError(400, `invalid_${error.credential}`, error.message, { reason: error.failure });
  }
  if (error instanceof AccountLinkError) return new ApiError(LINK_STATUS[error.code], error.code, error.message);
  if (error instanceof ProviderUnavailableError) return new ApiError(503, 'provider_unavailable', error.message);
  return error;
}

export const signInDisabled = (provider: IdentityProvider) => new ApiError(403, 'sign_in_disabled', `${providerName(provider)} sign-in is not enabled`);
