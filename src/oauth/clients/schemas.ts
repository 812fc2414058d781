import { z } from 'zod';
import { SUPPORTED_GRANT_TYPES } from './grant-types.js';
import { isKnownScope } from '../../identity/scopes.js';

export { SUPPORTED_GRANT_TYPES };

/**
 * How a confidential client proves itself at /oauth/token, introspection, revocation and PAR.
 * client_secret_jwt is left out: it needs the secret in a form the server can use, and Gatehouse
 * stores only a hash of it.
 */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;

/** Algorithms a private_key_jwt assertion may be signed with (asymmetric only). */
export const CLIENT_ASSERTION_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;

const clientJwks = z.object({
  keys: z
    .array(z.looseObject({ kty: z.enum(['RSA', 'EC', 'OKP']) }).refine((key) => !('d' in key), 'must be a public key'))
    .min(1)
    .max(10),
});

const redirectUri = z.url({ protocol: /^https?$|^[a-z][a-z0-9+.-]*$/ }).refine((uri) => !uri.includes('#'), 'must not contain a fragment');

export const createClientInput = z
  .object({
    name: z.string().trim().min(1).max(200),
    redirectUris: z.array(redirectUri).default([]),
    postLogoutRedirectUris: z.array(redirectUri).default([]),
    grantTypes: z.array(z.enum(SUPPORTED_GRANT_TYPES)).min(1).default(['authorization_code', 'refresh_token']),
    scope: z
      .string()
      .trim()
      .default('openid profile email offline_access')
      .refine((scope) => scope.split(/\s+/).every(isKnownScope), 'contains an unknown scope'),
    public: z.boolean().default(false),
    tokenEndpointAuthMethod: z.enum(CLIENT_AUTH_METHODS).default('client_secret_basic'),
    /** The client's public keys (RFC 7517 set), for private_key_jwt (RFC 7523 §2.2). */
    jwks: clientJwks.optional(),
    /** RFC 9449 §5.2 `dpop_bound_access_tokens`: tokens for this client are always DPoP-bound. */
    dpopBoundAccessTokens: z.boolean().default(false),
    /** A resource server: may introspect access tokens issued for the audience it serves (RFC 7662 §4). */
    introspection: z.boolean().default(false),
  })
  .strict()
  .refine((input) => (input.tokenEndpointAuthMethod === 'private_key_jwt') === Boolean(input.jwks), {
    message: "private_key_jwt needs the client's JWKS, and only private_key_jwt takes one",
    path: ['jwks'],
  })
  .refine((input) => !input.public || input.tokenEndpointAuthMethod === 'client_secret_basic', {
    message: 'a public client authenticates with none',
    path: ['tokenEndpointAuthMethod'],
  })
  .refine((input) => !input.grantTypes.includes('authorization_code') || input.redirectUris.length > 0, {
    message: 'authorization_code needs at least one redirect URI',
    path: ['redirectUris'],
  })
  .refine((input) => !(input.public && input.grantTypes.includes('client_credentials')), {
    message: 'a public client cannot use client_credentials',
    path: ['grantTypes'],
  });

export type CreateClientInput = z.input<typeof createClientInput>;
