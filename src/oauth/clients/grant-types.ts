/**
 * Every grant type Gatehouse serves at /oauth/token, once (issue #12 §6). The grant modules,
 * client registration, the OpenAPI document and the REST sign-ins that record a grant type all
 * derive from this table. Custom identifiers follow the spec README's "grant identifiers".
 */
export const GRANT_TYPES = {
  authorizationCode: 'authorization_code',
  clientCredentials: 'client_credentials',
  refreshToken: 'refresh_token',
  password: 'password',
  otp: 'urn:gatehouse:grant-type:otp',
  deviceToken: 'urn:gatehouse:grant-type:device-token',
  autologinToken: 'urn:gatehouse:grant-type:autologin-token',
  /** RFC 8693 token exchange of a Google or Apple ID token or a Facebook access token. */
  tokenExchange: 'urn:ietf:params:oauth:grant-type:token-exchange',
  /** The authentication code of a CRM.COM access token (a customer credential). */
  accessTokenCode: 'urn:gatehouse:grant-type:access-token-code',
} as const;

export type GrantType = (typeof GRANT_TYPES)[keyof typeof GRANT_TYPES];

export const SUPPORTED_GRANT_TYPES = Object.values(GRANT_TYPES) as [GrantType, ...GrantType[]];
