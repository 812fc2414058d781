import type { Config } from '../../../platform/config.js';
import { createAppleSignIn, type AppleSignIn } from './apple.js';
import { createFacebookSignIn, type FacebookSignIn } from './facebook.js';
import { createGoogleSignIn, type GoogleSignIn } from './google.js';

/** The configured identity providers; one absent here is disabled everywhere (grant, REMP, redirects). */
export interface SocialProviders {
  google?: GoogleSignIn;
  apple?: AppleSignIn;
  facebook?: FacebookSignIn;
}

export function createSocialProviders(settings: Config['social']): SocialProviders {
  return {
    google: settings.google ? createGoogleSignIn(settings.google) : undefined,
    apple: settings.apple ? createAppleSignIn(settings.apple) : undefined,
    facebook: settings.facebook ? createFacebookSignIn(settings.facebook) : undefined,
  };
}
