import * as appleSignin from 'apple-signin-auth';
import type { Config } from '../../../platform/config.js';
import {
  claimIsTrue,
  IdentityVerificationError,
  optionalString,
  ProviderUnavailableError,
  type VerificationFailure,
  type VerifiedIdentity,
} from './identity.js';
import { nonceMatches } from './nonce.js';

export type AppleSettings = NonNullable<Config['social']['apple']>;

/** The origin apple-signin-auth hard-codes for every request it makes. */
export const APPLE_ORIGIN = 'https://appleid.apple.com';

export interface AppleSignIn {
  readonly clientId: string;
  /** The redirect flow needs the team id, key id and private key that sign the client secret. */
  readonly codeFlowEnabled: boolean;
  verifyIdToken(idToken: string, options?: { nonce?: string }): Promise<VerifiedIdentity>;
  /** Redeems an authorization code with the web Services ID and returns Apple's ID token. */
  exchangeCode(code: string, options: { redirectUri: string }): Promise<string>;
  authorizationUrl(input: { redirectUri: string; state: string; nonce: string }): string;
}

// jsonwebtoken (inside apple-signin-auth) names the failed check in its message.
const FAILURES: Array<[RegExp, VerificationFailure]> = [
  [/jwt expired/, 'expired'],
  [/jwt audience invalid/, 'audience'],
  [/jwt issuer invalid/, 'issuer'],
  [/invalid signature|Invalid id token public key id/, 'signature'],
  [/jwt not active/, 'invalid'],
];

/**
 * Sign in with Apple through apple-signin-auth. The library always talks to appleid.apple.com
 * through one process-wide fetch; when APPLE_BASE_URL points elsewhere (a regional proxy, a test
 * double) that fetch is replaced for the whole process, and its key cache (kid → PEM) is shared too.
 */
export function createAppleSignIn(settings: AppleSettings): AppleSignIn {
  if (settings.baseUrl !== APPLE_ORIGIN) appleSignin._setFetch(fetchRedirectingAppleTo(settings.baseUrl));
  const audiences = [settings.clientId, ...settings.trustedClientIds];

  async function verifyIdToken(idToken: string, options: { nonce?: string } = {}): Promise<VerifiedIdentity> {
    let claims: Record<string, unknown>;
    try {
      // Issuer and algorithm stay at the library's defaults (https://appleid.apple.com, RS256).
      claims = (await appleSignin.verifyIdToken(idToken, { audience: audiences })) as unknown as Record<string, unknown>;
    } catch (error) {
      const message = error instanceof Error ? error.message : '';
      const failure = FAILURES.find(([pattern]) => pattern.test(message))?.[1];
      // Key download failures surface as "error in secret or public key callback: <cause>".
      if (!failure && message.includes('secret or public key callback')) throw new ProviderUnavailableError('apple', error);
      throw new IdentityVerificationError('apple', failure ?? 'malformed');
    }
    const subject = optionalString(claims.sub, 255);
    if (!subject) throw new IdentityVerificationError('apple', 'malformed');
    // Checked here rather than with the library's `nonce` option so the hashed form is accepted too.
    if (options.nonce !== undefined && !nonceMatches(claims.nonce, options.nonce, { acceptSha256Hex: true })) {
      throw new IdentityVerificationError('apple', 'nonce');
    }
    return { provider: 'apple', subject, email: optionalString(claims.email), emailVerified: claimIsTrue(claims.email_verified) };
  }

  async function exchangeCode(code: string, options: { redirectUri: string }): Promise<string> {
    const codeFlow = settings.codeFlow;
    if (!codeFlow) throw new Error('APPLE_TEAM_ID, APPLE_KEY_ID and APPLE_PRIVATE_KEY are required to redeem authorization codes');
    const clientSecret = appleSignin.getClientSecret({
      clientID: settings.clientId,
      teamID: codeFlow.teamId,
      keyIdentifier: codeFlow.keyId,
      privateKey: codeFlow.privateKey,
      expAfter: 300,
    });
    let response: unknown;
    try {
      response = await appleSignin.getAuthorizationToken(code, { clientID: settings.clientId, clientSecret, redirectUri: options.redirectUri });
    } catch (error) {
      throw new ProviderUnavailableError('apple', error);
    }
    // The library returns Apple's error body ({error: "invalid_grant"}) instead of throwing.
    const body = (response ?? {}) as { error?: unknown; id_token?: unknown };
    if (body.error === 'invalid_client') throw new ProviderUnavailableError('apple', new Error('Apple refused the client secret (invalid_client)'));
    if (body.error !== undefined || typeof body.id_token !== 'string') throw new IdentityVerificationError('apple', 'invalid', 'authorization_code');
    return body.id_token;
  }

  function authorizationUrl({ redirectUri, state, nonce }: { redirectUri: string; state: string; nonce: string }): string {
    // Asking for name and email makes Apple answer with response_mode=form_post.
    const url = new URL(appleSignin.getAuthorizationUrl({ clientID: settings.clientId, redirectUri, state, scope: 'name email' }));
    url.searchParams.set('nonce', nonce);
    return `${settings.baseUrl}${url.pathname}${url.search}`;
  }

  return { clientId: settings.clientId, codeFlowEnabled: Boolean(settings.codeFlow), verifyIdToken, exchangeCode, authorizationUrl };
}

function fetchRedirectingAppleTo(baseUrl: string): typeof fetch {
  return (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.startsWith(APPLE_ORIGIN)) return fetch(input, init);
    const target = baseUrl + url.slice(APPLE_ORIGIN.length);
    return fetch(input instanceof Request ? new Request(target, input) : target, init);
  };
}
