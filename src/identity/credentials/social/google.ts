import { CodeChallengeMethod, OAuth2Client } from 'google-auth-library';
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

export type GoogleSettings = NonNullable<Config['social']['google']>;

export interface GoogleSignIn {
  /** The redirect flow and gsi_auth_code need the client secret. */
  readonly codeFlowEnabled: boolean;
  verifyIdToken(idToken: string, options?: { nonce?: string }): Promise<VerifiedIdentity>;
  /** Redeems an authorization code with the web client and returns the ID token Google issued with it. */
  exchangeCode(code: string, options: { redirectUri?: string; codeVerifier?: string }): Promise<string>;
  pkcePair(): Promise<{ codeVerifier: string; codeChallenge: string }>;
  authorizationUrl(input: { redirectUri: string; state: string; nonce: string; codeChallenge: string }): string;
}

/** Both forms are documented as Google's issuer (developers.google.com/identity/openid-connect). */
const GOOGLE_ISSUERS = ['https://accounts.google.com', 'accounts.google.com'];

// google-auth-library reports every failed check as a plain Error; its message says which.
const FAILURES: Array<[RegExp, VerificationFailure]> = [
  [/Token used too late/, 'expired'],
  [/Wrong recipient/, 'audience'],
  [/Invalid issuer/, 'issuer'],
  [/Invalid token signature|No pem found/, 'signature'],
  [/Token used too early|Expiration time too far in future/, 'invalid'],
];

export function createGoogleSignIn(settings: GoogleSettings): GoogleSignIn {
  // Verification never depends on the redirect URI, so one client serves every flow; each flow
  // passes its own redirect_uri.
  const client = new OAuth2Client({
    clientId: settings.webClientId,
    clientSecret: settings.clientSecret,
    endpoints: {
      oauth2FederatedSignonPemCertsUrl: settings.certsUrl,
      oauth2TokenUrl: settings.tokenUrl,
      oauth2AuthBaseUrl: settings.authUrl,
    },
    issuers: GOOGLE_ISSUERS,
  });

  async function verifyIdToken(idToken: string, options: { nonce?: string } = {}): Promise<VerifiedIdentity> {
    let payload: Record<string, unknown> | undefined;
    try {
      payload = (await client.verifyIdToken({ idToken, audience: settings.clientIds })).getPayload() as Record<string, unknown> | undefined;
    } catch (error) {
      const message = error instanceof Error ? error.message : '';
      if (message.startsWith('Failed to retrieve verification certificates')) throw new ProviderUnavailableError('google', error);
      throw new IdentityVerificationError('google', FAILURES.find(([pattern]) => pattern.test(message))?.[1] ?? 'malformed');
    }
    const subject = optionalString(payload?.sub, 255);
    if (!payload || !subject) throw new IdentityVerificationError('google', 'malformed');
    // verifyIdToken does not look at the nonce (OIDC Core §3.1.3.7 step 11 is the caller's job).
    if (options.nonce !== undefined && !nonceMatches(payload.nonce, options.nonce)) throw new IdentityVerificationError('google', 'nonce');
    return {
      provider: 'google',
      subject,
      email: optionalString(payload.email),
      emailVerified: claimIsTrue(payload.email_verified),
      firstName: optionalString(payload.given_name, 100),
      lastName: optionalString(payload.family_name, 100),
      locale: optionalString(payload.locale, 20),
    };
  }

  async function exchangeCode(code: string, options: { redirectUri?: string; codeVerifier?: string }): Promise<string> {
    if (!settings.clientSecret) throw new Error('GOOGLE_CLIENT_SECRET is required to redeem authorization codes');
    let idToken: string | null | undefined;
    try {
      ({
        tokens: { id_token: idToken },
      } = await client.getToken({ code, redirect_uri: options.redirectUri, codeVerifier: options.codeVerifier }));
    } catch (error) {
      // 400 (invalid_grant, redirect_uri_mismatch): the caller's code is not redeemable here. Anything
      // else (401 invalid_client, 5xx, network) is a configuration or availability problem of ours.
      if ((error as { response?: { status?: number } }).response?.status === 400)
        throw new IdentityVerificationError('google', 'invalid', 'authorization_code');
      throw new ProviderUnavailableError('google', error);
    }
    if (!idToken) throw new ProviderUnavailableError('google', new Error('the token response carries no id_token'));
    return idToken;
  }

  return {
    codeFlowEnabled: Boolean(settings.clientSecret),
    verifyIdToken,
    exchangeCode,
    pkcePair: () => client.generateCodeVerifierAsync() as Promise<{ codeVerifier: string; codeChallenge: string }>,
    authorizationUrl: ({ redirectUri, state, nonce, codeChallenge }) =>
      client.generateAuthUrl({
        redirect_uri: redirectUri,
        scope: ['openid', 'email', 'profile'],
        state,
        nonce,
        code_challenge: codeChallenge,
        code_challenge_method: CodeChallengeMethod.S256,
        prompt: 'select_account',
      }),
  };
}
