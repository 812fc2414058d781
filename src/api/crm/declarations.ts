import type { Authenticator } from '../../oauth/callers/authenticator.js';
import { backofficeEndpoint, selfServiceEndpoint } from '../../oauth/callers/contact-access.js';
import type { BodyType } from '../../platform/http/body.js';
import type { SecurityRequirement } from '../../platform/openapi/operation.js';
import { rempErrors, rempFailure } from '../../platform/openapi/shapes.js';

/** CRM.COM documents JSON bodies; forms are accepted too. */
export const crmBodyTypes: BodyType[] = ['json', 'form'];

/** A self-service endpoint, called by the application with its `api_key` header before any customer is signed in. */
export function selfService(auth: Authenticator, endpoint: string, note?: string) {
  return {
    description: [`Authenticated by the application's \`api_key\` header: a Gatehouse API key whitelisted for \`${endpoint}\`.`, note]
      .filter(Boolean)
      .join(' '),
    security: [{ apiKeyHeader: [] }] satisfies SecurityRequirement[],
    middleware: [selfServiceEndpoint(auth, endpoint)],
  };
}

/** A back-office endpoint: a client-credentials token with the scope, or an API key whitelisted for the endpoint id. */
export function backoffice(auth: Authenticator, endpoint: string, scope: 'contacts:read' | 'contacts:write', note?: string) {
  return {
    description: [`A client-credentials token with \`${scope}\`, or an API key whitelisted for \`${endpoint}\`. Customer tokens are refused.`, note]
      .filter(Boolean)
      .join(' '),
    security: [{ bearer: [scope] }, { apiKeyHeader: [] }] satisfies SecurityRequirement[],
    middleware: [backofficeEndpoint(auth, endpoint, scope)],
  };
}

/** What every CRM.COM route can be refused with before it runs. */
export const crmRefusals = {
  400: rempErrors.invalid,
  401: rempFailure('Missing or invalid credentials (api_key or token)', { code: 'invalid_token', message: 'The API key is invalid' }),
  403: rempFailure('The API key is not whitelisted for this endpoint, or the token lacks the scope', {
    code: 'forbidden',
    message: 'The API key is not whitelisted for this endpoint',
  }),
  429: rempErrors.tooManyRequests,
};

export const exampleContactId = 'c-1001';
export const exampleOrganisation = { name: 'Acme Ltd', id: 'org-77', org_type: 'BUSINESS' };
export const exampleContact = {
  id: exampleContactId,
  type: 'PERSON',
  title: null,
  first_name: 'Jane',
  last_name: 'Doe',
  name: null,
  org_type: null,
  email: 'jane@example.com',
  phone_number: '+35799123456',
  cross_reference_code: 'CRM-1001',
  email_opt_out: false,
  sms_opt_out: false,
  locale: 'en',
  is_verified: true,
  organisations: [{ ...exampleOrganisation, relation: 'JOINED' }],
  created_at: '2026-11-26T10:21:14.000Z',
  updated_at: '2026-11-26T10:21:14.000Z',
};
export const exampleAuthentication = {
  contact: { title: null, avatar: null, first_name: 'Jane', last_name: 'Doe', is_verified: true },
  organisations: [exampleOrganisation],
  access_token: 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiIzZjFjMmE5ZSJ9.c2ln',
  refresh_token: 'q4Xv8C1n-8zR0kq1pO0fTzC5WZ5m0n7yq2bLrN3cVtA',
  exp: 1798765432000,
};
