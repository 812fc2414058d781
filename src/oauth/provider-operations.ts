import { z } from 'zod';
import type { Operation, ResponseSpec } from '../platform/openapi/operation.js';
import { oauthFailure, rempErrors, retryAfter, tokenResponse } from '../platform/openapi/shapes.js';
import { SUPPORTED_GRANT_TYPES } from './clients/grant-types.js';
import { OIDC_ROUTES } from './routes.js';

/**
 * The endpoints oidc-provider serves itself (Gatehouse never declares a route for them) and the
 * interaction pages, described for the OpenAPI document. Gatehouse's own /oauth routes
 * (userinfo, introspection, revocation) are declared in token-routes.ts.
 */

/** What a grant module declares (grants/index.ts), passed in: this folder does not import the grants (they import it). */
export interface DocumentedGrant {
  grantType: string;
  parameters: string[];
}

/** RFC 6749 §2.3.1 (client_secret_post), RFC 7523 §2.2 (private_key_jwt); Basic is the `clientBasic` scheme. */
const CLIENT_PARAMETERS: Record<string, string> = {
  client_id: 'The client; required for public clients (`none`) and with client_secret_post',
  client_secret: 'client_secret_post (RFC 6749 §2.3.1): the secret in the form body instead of a Basic header',
  client_assertion_type: 'private_key_jwt (RFC 7523 §2.2): urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
  client_assertion: 'private_key_jwt: a JWT signed with a key of the client’s registered JWKS, single use (`jti`)',
};

const PARAMETER_DESCRIPTIONS: Record<string, string> = {
  code: 'authorization_code: the code; otp grant: the one-time code',
  code_verifier: 'authorization_code: the PKCE verifier (RFC 7636)',
  redirect_uri: 'authorization_code: the redirect URI of the authorization request',
  refresh_token: 'refresh_token: the refresh token (rotated on use)',
  resource: 'RFC 8707 resource indicator; the Gatehouse API audience by default',
  username: 'password grant: e-mail address (or `email`); also a CRM.COM access-token identifier',
  device_token: 'any Gatehouse grant: pair the issued tokens with this device token',
  subject_token: 'token exchange (RFC 8693): a Google or Apple ID token, or a Facebook access token',
  phone_number: 'otp grant: phone number, with an optional country_code',
  source: 'Recorded with the login attempt',
};

/** Every parameter a grant reads, derived from the grant modules, so a new grant is documented with them. */
function tokenRequestSchema(grants: readonly DocumentedGrant[]) {
  const names = new Set(['code', 'code_verifier', 'redirect_uri', 'refresh_token', 'scope', 'resource', ...grants.flatMap((grant) => grant.parameters)]);
  const fields: Record<string, z.ZodType> = { grant_type: z.enum(SUPPORTED_GRANT_TYPES) };
  for (const name of names) {
    const users = grants.filter((grant) => grant.parameters.includes(name)).map((grant) => grant.grantType);
    fields[name] = z
      .string()
      .optional()
      .describe(PARAMETER_DESCRIPTIONS[name] ?? (name === 'scope' ? 'Space-separated scopes; an unknown one is invalid_scope' : `Used by ${users.join(', ')}`));
  }
  for (const [name, description] of Object.entries(CLIENT_PARAMETERS)) fields[name] = z.string().optional().describe(description);
  return z.object(fields);
}

export const clientAuthentication =
  'The client authenticates with the method it registered (one per request, RFC 6749 §2.3): client_secret_basic (the `clientBasic` scheme), ' +
  'client_secret_post (`client_id` and `client_secret` in the form), private_key_jwt (`client_assertion_type` and `client_assertion`, RFC 7523 §2.2) ' +
  'or, for a public client, `client_id` alone. Form credentials have no OpenAPI security scheme, hence the empty alternative in `security`.';

/** Basic, or credentials in the form body (no HTTP-level scheme). */
export const clientSecurity = [{ clientBasic: [] }, {}];

export const invalidClient = oauthFailure(
  'invalid_client: unknown client, wrong secret or assertion, or not its registered method',
  'invalid_client',
  'client authentication failed',
  {
    'WWW-Authenticate': { description: 'With Basic credentials: the Basic challenge (RFC 6749 §5.2)', example: 'Basic realm="https://auth.example.com"' },
  },
);
const malformedOauth = oauthFailure(
  'Malformed request: NUL or invalid UTF-8 in the path, query string or headers',
  'invalid_request',
  'query: must be UTF-8 text without NUL characters',
);

const errorPage = (description: string): ResponseSpec => ({
  description,
  contentType: 'text/html',
  example: '<!doctype html><html lang="en"><body><h1>Something went wrong</h1><p><strong>invalid_request</strong></p></body></html>',
});

const discoveryMetadata = z
  .object({
    issuer: z.string(),
    authorization_endpoint: z.string(),
    token_endpoint: z.string(),
    jwks_uri: z.string(),
    response_types_supported: z.array(z.string()),
    grant_types_supported: z.array(z.string()),
    token_endpoint_auth_methods_supported: z.array(z.string()),
  })
  .loose()
  .meta({ id: 'AuthorizationServerMetadata', description: 'RFC 8414 §2 / OpenID Connect Discovery 1.0 §3 metadata; further members as listed there.' });

const discoveryExample = {
  issuer: 'https://auth.example.com',
  authorization_endpoint: 'https://auth.example.com/oauth/authorize',
  token_endpoint: 'https://auth.example.com/oauth/token',
  userinfo_endpoint: 'https://auth.example.com/oauth/userinfo',
  introspection_endpoint: 'https://auth.example.com/oauth/introspect',
  revocation_endpoint: 'https://auth.example.com/oauth/revoke',
  end_session_endpoint: 'https://auth.example.com/oauth/logout',
  pushed_authorization_request_endpoint: 'https://auth.example.com/oauth/par',
  jwks_uri: 'https://auth.example.com/oauth/jwks',
  response_types_supported: ['code'],
  grant_types_supported: SUPPORTED_GRANT_TYPES,
  token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
  code_challenge_methods_supported: ['S256'],
};

const jwks = z
  .object({ keys: z.array(z.object({ kty: z.string(), kid: z.string(), use: z.string().optional(), alg: z.string().optional() }).loose()) })
  .meta({ id: 'JsonWebKeySet', description: 'RFC 7517 §5 JWK Set of the public signing keys.' });

const authorizationRequest = z.object({
  client_id: z.string(),
  response_type: z.literal('code'),
  redirect_uri: z.string(),
  scope: z.string().describe('Space-separated; `openid` for OpenID Connect'),
  state: z.string().optional(),
  nonce: z.string().optional(),
  code_challenge: z.string().describe('PKCE (RFC 7636), required'),
  code_challenge_method: z.literal('S256'),
  prompt: z.string().optional(),
  login_hint: z.string().optional(),
  resource: z.string().optional().describe('RFC 8707 resource indicator'),
});

const authorizationExample = {
  client_id: 'shop-web',
  response_type: 'code',
  redirect_uri: 'https://shop.example.com/callback',
  scope: 'openid profile email',
  state: 'af0ifjsldkj',
  code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  code_challenge_method: 'S256',
};

export const clientAuthFields = z.object(
  Object.fromEntries(Object.entries(CLIENT_PARAMETERS).map(([name, description]) => [name, z.string().optional().describe(description)])),
);

const logoutQuery = z.object({
  id_token_hint: z.string().optional(),
  post_logout_redirect_uri: z.string().optional().describe('Must be registered for the client'),
  state: z.string().optional(),
  client_id: z.string().optional(),
  logout_hint: z.string().optional(),
  ui_locales: z.string().optional(),
});

const discovery = (path: string, summary: string): Operation => ({
  method: 'get',
  path,
  tags: ['OpenID Connect'],
  summary,
  security: [],
  responses: { 200: { description: 'Authorization server metadata', schema: discoveryMetadata, example: discoveryExample }, 400: rempErrors.malformed },
});

const uidParams = z.object({ uid: z.string().describe('The interaction of an authorization request') });
const page = (description: string, title: string): ResponseSpec => ({
  description,
  contentType: 'text/html',
  example: `<!doctype html><html lang="en"><head><title>${title}</title></head><body>…</body></html>`,
});
const redirect = (description: string): ResponseSpec => ({
  description,
  headers: { Location: { description: 'Where the browser continues', example: 'https://auth.example.com/oauth/authorize/gTsvdN1qwA8Bj0Db9G8Nb' } },
});
const csrfRefused = errorPage('The form expired or was not sent from this site (CSRF token missing or wrong)');

/** The provider's endpoints and the interaction pages; `grants` are the custom grants registered at /oauth/token. */
export const providerOperations = (grants: readonly DocumentedGrant[]): Operation[] => [
  discovery('/.well-known/openid-configuration', 'OpenID Provider metadata (OpenID Connect Discovery 1.0 §4)'),
  discovery('/.well-known/oauth-authorization-server', 'Authorization server metadata (RFC 8414 §3), the same document as OpenID discovery'),
  {
    method: 'get',
    path: OIDC_ROUTES.jwks,
    tags: ['OpenID Connect'],
    summary: 'Public signing keys (JWKS)',
    security: [],
    responses: {
      200: {
        description: 'JSON Web Key Set',
        schema: jwks,
        example: {
          keys: [
            {
              kty: 'EC',
              kid: 'sig-2026-11',
              use: 'sig',
              alg: 'ES256',
              crv: 'P-256',
              x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
              y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
            },
          ],
        },
      },
      400: malformedOauth,
    },
  },
  {
    method: 'get',
    path: OIDC_ROUTES.authorization,
    tags: ['OpenID Connect'],
    summary: 'Authorization endpoint (authorization code with PKCE S256, required)',
    description: 'Also takes `request_uri` from POST /oauth/par (RFC 9126 §4) instead of the parameters.',
    security: [],
    request: { query: authorizationRequest },
    responses: {
      303: redirect('To the sign-in or consent page, or back to the client with `code` (or `error`, RFC 6749 §4.1.2.1)'),
      400: errorPage('Invalid client or redirect_uri: shown to the user, never redirected (RFC 6749 §4.1.2.1)'),
    },
  },
  {
    method: 'post',
    path: OIDC_ROUTES.pushed_authorization_request,
    tags: ['OpenID Connect'],
    summary: 'Pushed authorization request (RFC 9126): the authorization parameters, sent back-channel',
    description: clientAuthentication,
    security: clientSecurity,
    request: { body: authorizationRequest.extend(clientAuthFields.shape), bodyTypes: ['form'], example: authorizationExample },
    responses: {
      201: {
        description: 'The request_uri to send to /oauth/authorize with client_id (RFC 9126 §2.2)',
        schema: z.object({ request_uri: z.string(), expires_in: z.number().int() }),
        example: { request_uri: 'urn:ietf:params:oauth:request_uri:6esc_11ACC5bwc014ltc14eY22c', expires_in: 60 },
      },
      400: oauthFailure(
        'invalid_request, invalid_scope, invalid_redirect_uri, unauthorized_client',
        'invalid_request',
        'missing required parameter(s) (code_challenge)',
      ),
      401: invalidClient,
    },
  },
  {
    method: 'post',
    path: OIDC_ROUTES.token,
    tags: ['OpenID Connect'],
    summary: 'Token endpoint: the standard grants and Gatehouse’s own',
    description:
      `${clientAuthentication} Grants: ${SUPPORTED_GRANT_TYPES.join(', ')}; a client must be allowed each one. ` +
      'POST only (other methods: 405). A JSON body of string values is taken as the form it stands for (SessionM integrators send the password grant so).',
    security: clientSecurity,
    request: {
      body: tokenRequestSchema(grants),
      bodyTypes: ['form', 'json'],
      example: {
        grant_type: 'authorization_code',
        code: 'SplxlOBeZQQYbYS6WxSbIA',
        redirect_uri: 'https://shop.example.com/callback',
        code_verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
      },
    },
    responses: {
      200: {
        description: 'Tokens (RFC 6749 §5.1)',
        schema: tokenResponse,
        example: {
          access_token: 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiIuLi4ifQ.c2ln',
          token_type: 'Bearer',
          expires_in: 3600,
          scope: 'openid profile email',
          refresh_token: 'q4Xv8C1n-8zR0kq1pO0fTzC5WZ5m0n7yq2bLrN3cVtA',
          id_token: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIuLi4ifQ.c2ln',
        },
      },
      400: oauthFailure(
        'RFC 6749 §5.2: invalid_grant, invalid_scope, unauthorized_client, unsupported_grant_type, invalid_request',
        'invalid_grant',
        'grant request is invalid',
      ),
      401: invalidClient,
      429: oauthFailure(
        'too_many_attempts: too many failed credentials for this identifier or IP',
        'too_many_attempts',
        'too many failed attempts, retry after 30 seconds',
        retryAfter,
      ),
    },
  },
  {
    method: 'get',
    path: OIDC_ROUTES.end_session,
    tags: ['OpenID Connect'],
    summary: 'RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the confirmation page',
    security: [],
    request: { query: logoutQuery },
    responses: {
      200: page('Confirmation page; its form posts to /oauth/logout/confirm', 'Sign out'),
      400: errorPage('post_logout_redirect_uri not registered, or an invalid id_token_hint'),
    },
  },
  {
    method: 'post',
    path: `${OIDC_ROUTES.end_session}/confirm`,
    tags: ['OpenID Connect'],
    summary: 'Confirm the logout (the form of the confirmation page)',
    security: [],
    request: {
      body: z.object({
        xsrf: z.string().describe('From the confirmation page'),
        logout: z.string().optional().describe('"yes": also end the session at Gatehouse'),
      }),
      bodyTypes: ['form'],
      example: { xsrf: 'b2a8c77a3f8c4e5d9a1b', logout: 'yes' },
    },
    responses: {
      303: redirect('To post_logout_redirect_uri (with state), or to /oauth/logout/success'),
      400: errorPage('The xsrf token does not match the session (could not find logout details)'),
    },
  },
  {
    method: 'get',
    path: `${OIDC_ROUTES.end_session}/success`,
    tags: ['OpenID Connect'],
    summary: 'Signed-out page, when the client gave no post_logout_redirect_uri',
    security: [],
    request: { query: z.object({ client_id: z.string().optional() }) },
    responses: { 200: page('Signed-out page', 'Signed out'), 400: errorPage('Unknown client_id') },
  },
  {
    method: 'get',
    path: '/interaction/{uid}',
    tags: ['Sign-in pages'],
    summary: 'Sign-in or consent page of an authorization request',
    security: [],
    request: { params: uidParams },
    responses: { 200: page('The sign-in or the consent page', 'Sign in'), 400: errorPage('The interaction expired or does not exist') },
  },
  {
    method: 'post',
    path: '/interaction/{uid}/login',
    tags: ['Sign-in pages'],
    summary: 'Submit e-mail and password (the same limiter and login record as the password grant)',
    security: [],
    request: {
      params: uidParams,
      body: z.object({ csrf: z.string(), email: z.string(), password: z.string() }),
      bodyTypes: ['form'],
      example: { csrf: 'Qy1lZ0hQeW1kX2xJd0hJcEZr', email: 'jane@example.com', password: 'correct horse battery staple' },
    },
    responses: {
      303: redirect('Continue the authorization'),
      400: page('The page again, naming the missing field', 'Sign in'),
      401: page('The page again: the e-mail address or password is incorrect', 'Sign in'),
      403: csrfRefused,
      429: { ...page('The page again: too many attempts', 'Sign in'), headers: retryAfter },
    },
  },
  {
    method: 'post',
    path: '/interaction/{uid}/confirm',
    tags: ['Sign-in pages'],
    summary: 'Grant consent',
    security: [],
    request: { params: uidParams, body: z.object({ csrf: z.string() }), bodyTypes: ['form'], example: { csrf: 'Qy1lZ0hQeW1kX2xJd0hJcEZr' } },
    responses: { 303: redirect('Continue the authorization'), 400: errorPage('There is nothing to consent to'), 403: csrfRefused },
  },
  {
    method: 'post',
    path: '/interaction/{uid}/abort',
    tags: ['Sign-in pages'],
    summary: 'Cancel the request (the client receives access_denied)',
    security: [],
    request: { params: uidParams, body: z.object({ csrf: z.string() }), bodyTypes: ['form'], example: { csrf: 'Qy1lZ0hQeW1kX2xJd0hJcEZr' } },
    responses: { 303: redirect('Back to the client with error=access_denied'), 403: csrfRefused },
  },
];
