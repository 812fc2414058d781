import { z } from 'zod';
import { isKnownScope } from '../oidc/scopes.js';

export const SUPPORTED_GRANT_TYPES = [
  'authorization_code',
  'client_credentials',
  'refresh_token',
  'password',
  'urn:gatehouse:grant-type:otp',
  'urn:gatehouse:grant-type:device-token',
  'urn:gatehouse:grant-type:autologin-token',
  'urn:ietf:params:oauth:grant-type:token-exchange',
  'urn:gatehouse:grant-type:access-token-code',
] as const;

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
    tokenEndpointAuthMethod: z.enum(['client_secret_basic', 'client_secret_post']).default('client_secret_basic'),
  })
  .strict()
  .refine((input) => !input.grantTypes.includes('authorization_code') || input.redirectUris.length > 0, {
    message: 'authorization_code needs at least one redirect URI',
    path: ['redirectUris'],
  })
  .refine((input) => !(input.public && input.grantTypes.includes('client_credentials')), {
    message: 'a public client cannot use client_credentials',
    path: ['grantTypes'],
  });

export type CreateClientInput = z.input<typeof createClientInput>;
