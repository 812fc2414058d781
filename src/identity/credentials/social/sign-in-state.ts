import { EncryptJWT, jwtDecrypt } from 'jose';
import { z } from 'zod';
import { deriveKey } from '../../../platform/crypto/secrets.js';

export type RedirectProvider = 'google' | 'apple';

/** What a redirect sign-in carries from /sign to /callback. */
export interface SignInState {
  /** Where to return after signing in, already validated. */
  url: string;
  /** Sent to the provider and required back in the ID token (replay protection). */
  nonce: string;
  /** Equals the value of the browser's state cookie: the callback must come from the browser that started. */
  binding: string;
  /** PKCE verifier for Google's code exchange. */
  codeVerifier?: string;
}

export const SIGN_IN_STATE_TTL_SECONDS = 600;

const stateClaims = z.object({ url: z.string(), nonce: z.string(), binding: z.string(), codeVerifier: z.string().optional() });

/**
 * The OAuth `state` of the redirect flows: an encrypted JWT (dir + A256GCM with a key derived from
 * GATEHOUSE_SECRET), so it cannot be forged or altered and does not expose the PKCE verifier or the
 * return URL in the provider's logs. Nothing is stored server-side.
 */
export function createSignInStateSealer(secret: string, issuer: string) {
  const key = new Uint8Array(deriveKey(secret, 'social-state'));
  const audience = (provider: RedirectProvider) => `${issuer}/users/${provider}/callback`;

  return {
    seal: (provider: RedirectProvider, state: SignInState) =>
      new EncryptJWT({ ...state })
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
        .setIssuer(issuer)
        .setAudience(audience(provider))
        .setIssuedAt()
        .setExpirationTime(`${SIGN_IN_STATE_TTL_SECONDS}s`)
        .encrypt(key),

    /** The state, or undefined when it is missing, tampered with, expired or for the other provider. */
    async open(provider: RedirectProvider, sealed: unknown): Promise<SignInState | undefined> {
      if (typeof sealed !== 'string' || sealed.length > 4096) return undefined;
      try {
        const { payload } = await jwtDecrypt(sealed, key, {
          issuer,
          audience: audience(provider),
          keyManagementAlgorithms: ['dir'],
          contentEncryptionAlgorithms: ['A256GCM'],
        });
        const parsed = stateClaims.safeParse(payload);
        return parsed.success ? parsed.data : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

export type SignInStateSealer = ReturnType<typeof createSignInStateSealer>;
