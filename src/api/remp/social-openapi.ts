import type { ApiOperation } from '../../platform/openapi/operation.js';
import { rempError } from '../../platform/openapi/shapes.js';
import { appleTokenSignInInput, googleTokenSignInInput, rempSignInResponse, signInCallbackInput, signInStartQuery } from '../../identity/credentials/social/schemas.js';

const signInErrors = {
  400: { description: 'invalid_id_token, invalid_authorization_code, email_not_verified, email_missing or invalid input', schema: rempError },
  403: { description: 'sign_in_disabled (provider not configured) or account_disabled', schema: rempError },
  409: { description: 'email_taken: the address belongs to a deactivated account', schema: rempError },
  429: { description: 'Too many failed sign-ins from this IP; see Retry-After', schema: rempError },
  503: { description: 'provider_unavailable: the identity provider could not be reached', schema: rempError },
};

const redirect = { 302: { description: 'To the identity provider (sign) or to `url` with the `n_token` cookie set (callback)' } };

/** Social sign-in routes (src/identity/credentials/social/); the token-exchange grant is documented with /oauth/token. */
export const socialOperations: ApiOperation[] = [
  {
    method: 'post',
    path: '/api/v1/users/google-token-sign-in',
    tags: ['REMP users'],
    summary: 'Sign in with a Google ID token (or a gsi_auth_code); finds, links or creates the user',
    body: googleTokenSignInInput,
    bodyTypes: ['form', 'json', 'multipart'],
    responses: { 200: { description: 'Signed in; `access` only with create_access_token', schema: rempSignInResponse }, ...signInErrors },
  },
  {
    method: 'post',
    path: '/api/v1/users/apple-token-sign-in',
    tags: ['REMP users'],
    summary: 'Sign in with an Apple ID token; finds, links or creates the user',
    body: appleTokenSignInInput,
    bodyTypes: ['form', 'json', 'multipart'],
    responses: { 200: { description: 'Signed in; `access` only with create_access_token', schema: rempSignInResponse }, ...signInErrors },
  },
  {
    method: 'get',
    path: '/users/google/sign',
    tags: ['REMP users'],
    summary: 'Start Google sign-in (authorization code + PKCE); `url` must share the site domain or be allowed',
    query: signInStartQuery,
    responses: { ...redirect, 400: { description: 'invalid_url', schema: rempError }, 403: signInErrors[403] },
  },
  {
    method: 'get',
    path: '/users/google/callback',
    tags: ['REMP users'],
    summary: 'Google returns here; redeems the code and sets the n_token cookie',
    query: signInCallbackInput.omit({ user: true }),
    responses: { ...redirect, ...signInErrors, 400: { description: 'invalid_state, sign_in_cancelled, invalid_id_token, …', schema: rempError } },
  },
  {
    method: 'get',
    path: '/users/apple/sign',
    tags: ['REMP users'],
    summary: 'Start Sign in with Apple (authorization code, form_post); `url` as for Google',
    query: signInStartQuery,
    responses: { ...redirect, 400: { description: 'invalid_url', schema: rempError }, 403: signInErrors[403] },
  },
  {
    method: 'post',
    path: '/users/apple/callback',
    tags: ['REMP users'],
    summary: 'Apple posts here (form_post); redeems the code and sets the n_token cookie',
    body: signInCallbackInput,
    bodyTypes: ['form'],
    responses: { ...redirect, ...signInErrors, 400: { description: 'invalid_state, sign_in_cancelled, invalid_id_token, …', schema: rempError } },
  },
];
