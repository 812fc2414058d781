import type Provider from 'oidc-provider';
import { accessTokenCodeGrant } from './access-token-code.js';
import { autologinTokenGrant } from './autologin-token.js';
import type { GrantDefinition, GrantDependencies } from './context.js';
import { deviceTokenGrant } from './device-token.js';
import { otpGrant } from './otp.js';
import { passwordGrant } from './password.js';
import { withRequestErrors } from './request-errors.js';
import { tokenExchangeGrant } from './token-exchange.js';

/** Every custom grant at /oauth/token; identifiers as in the spec README. Clients must be allowed each explicitly. */
export const customGrants: GrantDefinition[] = [passwordGrant, deviceTokenGrant, autologinTokenGrant, tokenExchangeGrant, otpGrant, accessTokenCodeGrant];

export function registerGrants(provider: Provider, deps: GrantDependencies) {
  for (const grant of customGrants) {
    provider.registerGrantType(grant.grantType, withRequestErrors(grant.buildHandler(deps)), grant.parameters);
  }
}
