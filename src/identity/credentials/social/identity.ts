import type { IdentityProvider } from '../../customers/entities.js';

export type { IdentityProvider };

/** What a provider vouched for, after its token was verified. */
export interface VerifiedIdentity {
  provider: IdentityProvider;
  /** The provider's stable user id (`sub`, Facebook's user id); e-mails change, this does not. */
  subject: string;
  email?: string;
  /** Only a verified e-mail may be matched to an existing customer or stored as verified. */
  emailVerified: boolean;
  firstName?: string;
  lastName?: string;
  locale?: string;
}

export type VerificationFailure = 'malformed' | 'signature' | 'issuer' | 'audience' | 'expired' | 'nonce' | 'invalid';

const FAILURE_DESCRIPTIONS: Record<VerificationFailure, string> = {
  malformed: 'is malformed',
  signature: 'has an invalid signature',
  issuer: 'was issued by an unexpected issuer',
  audience: 'was issued for another client',
  expired: 'has expired',
  nonce: 'does not carry the expected nonce',
  invalid: 'is invalid or was revoked',
};

export type VerifiedCredential = 'id_token' | 'access_token' | 'authorization_code';

const CREDENTIAL_NAMES: Record<VerifiedCredential, string> = { id_token: 'ID token', access_token: 'access token', authorization_code: 'authorization code' };

/**
 * The presented credential is not acceptable. Its message names the failed check but never
 * echoes the token (the libraries' own messages contain it).
 */
export class IdentityVerificationError extends Error {
  constructor(
    readonly provider: IdentityProvider,
    readonly failure: VerificationFailure,
    readonly credential: VerifiedCredential = provider === 'facebook' ? 'access_token' : 'id_token',
  ) {
    super(`the ${providerName(provider)} ${CREDENTIAL_NAMES[credential]} ${FAILURE_DESCRIPTIONS[failure]}`);
    this.name = 'IdentityVerificationError';
  }
}

/** The provider could not be reached or answered unexpectedly: not the caller's fault. */
export class ProviderUnavailableError extends Error {
  constructor(
    readonly provider: IdentityProvider,
    cause: unknown,
  ) {
    super(`${providerName(provider)} could not be reached to verify the sign-in`, { cause });
    this.name = 'ProviderUnavailableError';
  }
}

export function providerName(provider: IdentityProvider): string {
  return { google: 'Google', apple: 'Apple', facebook: 'Facebook' }[provider];
}

/** Apple has sent `email_verified` both as a boolean and as the string "true". */
export const claimIsTrue = (value: unknown) => value === true || value === 'true';

export const optionalString = (value: unknown, maxLength = 254): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, maxLength) : undefined;
