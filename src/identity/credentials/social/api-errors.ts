import { Conflict, DomainError, Forbidden, Invalid, Unavailable } from '../../../platform/errors.js';
import { AccountLinkError, type AccountLinkFailure } from './account-linking.js';
import { IdentityVerificationError, ProviderUnavailableError, providerName, type IdentityProvider } from './identity.js';

const LINK_ERROR: Record<AccountLinkFailure, new (code: string, message: string) => DomainError> = {
  email_missing: Invalid,
  email_not_verified: Invalid,
  account_disabled: Forbidden,
  email_taken: Conflict,
};

/** Social sign-in failures as domain errors, for the REMP and CRM.COM presenters. */
export function socialApiError(error: unknown): unknown {
  if (error instanceof IdentityVerificationError) {
    return new Invalid(`invalid_${error.credential}`, error.message, { reason: error.failure });
  }
  if (error instanceof AccountLinkError) return new LINK_ERROR[error.code](error.code, error.message);
  if (error instanceof ProviderUnavailableError) return new Unavailable('provider_unavailable', error.message);
  return error;
}

export const signInDisabled = (provider: IdentityProvider) => new Forbidden('sign_in_disabled', `${providerName(provider)} sign-in is not enabled`);
