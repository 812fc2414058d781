/** Where oidc-provider's endpoints are mounted; every other list of them derives from this one. */
export const OIDC_ROUTES = {
  authorization: '/oauth/authorize',
  token: '/oauth/token',
  userinfo: '/oauth/userinfo',
  introspection: '/oauth/introspect',
  revocation: '/oauth/revoke',
  end_session: '/oauth/logout',
  jwks: '/oauth/jwks',
  pushed_authorization_request: '/oauth/par',
  device_authorization: '/oauth/device/auth',
  code_verification: '/oauth/device',
  registration: '/oauth/register',
} as const;
