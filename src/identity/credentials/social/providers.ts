import type { Config } from '../../../platform/config.js';
import type { AppleSignIn } from './apple.js';
import { createFacebookSignIn, type FacebookSignIn } from './facebook.js';
import type { GoogleSignIn } from './google.js';

/** The configured identity providers; one absent here is disabled everywhere (grant, REMP, redirects). */
export interface SocialProviders {
  google?: GoogleSignIn;
  apple?: AppleSignIn;
  facebook?: FacebookSignIn;
}

/**
 * Google's and Apple's client libraries are loaded only when their sign-in is configured: together
 * they hold about 4 MB of heap (and their dependencies more RSS) that a server without them never uses.
 */
export async function createSocialProviders(settings: Config['social']): Promise<SocialProviders> {
  return {
    google: settings.google ? (await import('./google.js')).createGoogleSignIn(settings.google) : undefined,
    apple: settings.apple ? (await import('./apple.js')).createAppleSignIn(settings.apple) : undefined,
    facebook: settings.facebook ? createFacebookSignIn(settings.facebook) : undefined,
  };
}
