import type { ApiOperation } from '../../platform/openapi/operation.js';
import { rempError, standardErrors } from '../../platform/openapi/shapes.js';
import {
  acceptedResponse,
  addIdentityInput,
  authenticateInput,
  authenticationResponse,
  contactIdParams,
  contactListView,
  contactView,
  createContactInput,
  listContactsQuery,
  membershipInput,
  membershipParams,
  refreshInput,
  registerInput,
  registrationResponse,
  requestOtpInput,
  updateContactInput,
  validateOtpInput,
} from '../../identity/contacts/schemas.js';

const selfService = ['CRM.COM self-service contacts'];
const backoffice = ['CRM.COM back-office contacts'];
const json: ApiOperation['bodyTypes'] = ['json', 'form'];

const keyErrors = {
  400: standardErrors[400],
  401: { description: 'Missing or invalid api_key', schema: rempError },
  403: { description: 'The API key is not whitelisted for this endpoint', schema: rempError },
  429: standardErrors[429],
} as const;

const apiKeyNote = (endpoint: string) => `Authenticated by the application's \`api_key\` header: a Gatehouse API key whitelisted for \`${endpoint}\`.`;
const backofficeNote = (scope: string, endpoint: string) =>
  `A client-credentials token with \`${scope}\`, or an API key whitelisted for \`${endpoint}\`. Customer tokens are refused.`;

export const contactOperations: ApiOperation[] = [
  {
    method: 'post',
    path: '/self-service/v1/contacts/register',
    tags: selfService,
    summary: 'Register a contact with an identity: EMAIL (+password, or OTP), PHONE (OTP) or FACEBOOK',
    description:
      `${apiKeyNote('contacts.register')} Booleans may be the strings "true"/"false". PHONE takes \`country_code\` as ISO alpha-3 ("CYP"), ` +
      'alpha-2 or a calling code. EMAIL without password and PHONE send a one-time code (then call validate-otp): the answer is ' +
      '`{id, next_step: "VALIDATE_OTP"}`. EMAIL with password and FACEBOOK sign in at once. When the active access-token definition ' +
      'assigns a token on registration and requires verification, the password becomes the token\'s pass code and the answer is ' +
      '`{id, next_step: "VERIFY_ACCESS_TOKEN"}` (verify with POST /self-service/v1/access-tokens/verify). An identity that exists is 409 and nothing is created.',
    security: ['apiKeyHeader'],
    body: registerInput,
    bodyTypes: json,
    responses: {
      201: { description: 'Registered', schema: registrationResponse },
      ...keyErrors,
      409: { description: 'identity_exists (e-mail, phone or Facebook account), or identifier_taken (access token)', schema: rempError },
      503: { description: 'No SMS or e-mail provider for the OTP, or Facebook unreachable', schema: rempError },
    },
  },
  {
    method: 'post',
    path: '/self-service/v1/contacts/validate-otp',
    tags: selfService,
    summary: 'Exchange a one-time code for the contact, its organisations and tokens',
    description: `${apiKeyNote('contacts.validate-otp')} \`credentials\`: [{name: "EMAIL", value}] or [{name: "PHONE", value}, {name: "COUNTRY_CODE", value}]. \`exp\` is in milliseconds.`,
    security: ['apiKeyHeader'],
    body: validateOtpInput,
    bodyTypes: json,
    responses: { 200: { description: 'Signed in', schema: authenticationResponse }, ...keyErrors, 401: { description: 'invalid_code, or invalid api_key', schema: rempError } },
  },
  {
    method: 'post',
    path: '/self-service/v1/contacts/request-otp',
    tags: selfService,
    summary: 'Send a one-time sign-in code by SMS or e-mail (after logging out)',
    description: `${apiKeyNote('contacts.request-otp')} The same answer whether or not anyone has the identifier.`,
    security: ['apiKeyHeader'],
    body: requestOtpInput,
    bodyTypes: json,
    responses: { 202: { description: 'Accepted', schema: acceptedResponse }, ...keyErrors, 503: { description: 'No provider for the channel', schema: rempError } },
  },
  {
    method: 'post',
    path: '/self-service/v1/contacts/authenticate',
    tags: selfService,
    summary: 'Sign in with EMAIL + PASSWORD (or an access token\'s IDENTIFIER + PASS_CODE)',
    description: `${apiKeyNote('contacts.authenticate')} Only Effective access tokens sign in. Failures are limited per identifier and per IP (429 with Retry-After).`,
    security: ['apiKeyHeader'],
    body: authenticateInput,
    bodyTypes: json,
    responses: { 200: { description: 'Signed in', schema: authenticationResponse }, ...keyErrors, 401: { description: 'invalid_credentials', schema: rempError } },
  },
  {
    method: 'post',
    path: '/self-service/v1/contacts/refresh',
    tags: selfService,
    summary: 'New tokens for a refresh token (rotated; a replayed one revokes the session)',
    description: apiKeyNote('contacts.refresh'),
    security: ['apiKeyHeader'],
    body: refreshInput,
    bodyTypes: json,
    responses: { 200: { description: 'Refreshed', schema: authenticationResponse }, ...keyErrors, 401: { description: 'invalid_refresh_token', schema: rempError } },
  },
  {
    method: 'post',
    path: '/self-service/v1/contacts/identities',
    tags: selfService,
    summary: 'Add credentials to an existing contact found by key data',
    description:
      `${apiKeyNote('contacts.add-identity')} Key data: \`contact.id\` + \`contact.cross_reference_code\`, or \`contact.email\` / \`contact.phone_number\` + ` +
      '`contact.last_name` (then the new identity must use that same e-mail or phone). A one-time code goes to the new e-mail or phone ' +
      '(Facebook: to the contact\'s own); the credential takes effect when validate-otp accepts that code. The answer is the same whether or not the key data matched.',
    security: ['apiKeyHeader'],
    body: addIdentityInput,
    bodyTypes: json,
    responses: { 202: { description: 'Accepted', schema: acceptedResponse }, ...keyErrors, 503: { description: 'No provider for the channel', schema: rempError } },
  },
  {
    method: 'post',
    path: '/backoffice/v1/contacts',
    tags: backoffice,
    summary: 'Create a person (B2C) or organisation (B2B) contact',
    description: `${backofficeNote('contacts:write', 'backoffice.contacts.write')} \`id\` is the caller's (≤ 36 characters, unique across contacts) or generated. No credential fields: unknown fields are a 400.`,
    security: ['bearer', 'apiKeyHeader'],
    body: createContactInput,
    bodyTypes: json,
    responses: { 201: { description: 'Created', schema: contactView }, ...standardErrors, 409: { description: 'contact_id_taken, email_taken or phone_taken', schema: rempError } },
  },
  {
    method: 'get',
    path: '/backoffice/v1/contacts',
    tags: backoffice,
    summary: 'List and search contacts (by e-mail, phone, cross-reference code, name or access-token identifier)',
    description: backofficeNote('contacts:read', 'backoffice.contacts.read'),
    security: ['bearer', 'apiKeyHeader'],
    query: listContactsQuery,
    responses: { 200: { description: 'A page of contacts', schema: contactListView }, ...standardErrors },
  },
  {
    method: 'get',
    path: '/backoffice/v1/contacts/{id}',
    tags: backoffice,
    summary: 'Read a contact by its id',
    description: backofficeNote('contacts:read', 'backoffice.contacts.read'),
    security: ['bearer', 'apiKeyHeader'],
    pathParams: contactIdParams,
    responses: { 200: { description: 'The contact', schema: contactView }, ...standardErrors, 404: { description: 'contact_not_found', schema: rempError } },
  },
  {
    method: 'put',
    path: '/backoffice/v1/contacts/{id}',
    tags: backoffice,
    summary: 'Update a contact (fields given; null clears)',
    description: backofficeNote('contacts:write', 'backoffice.contacts.write'),
    security: ['bearer', 'apiKeyHeader'],
    pathParams: contactIdParams,
    body: updateContactInput,
    bodyTypes: json,
    responses: { 200: { description: 'Updated', schema: contactView }, ...standardErrors, 404: { description: 'contact_not_found', schema: rempError }, 409: { description: 'email_taken or phone_taken', schema: rempError } },
  },
  {
    method: 'post',
    path: '/backoffice/v1/contacts/{id}/organisations',
    tags: backoffice,
    summary: 'Join a person to an organisation (JOINED) or share it with one (SHARED)',
    description: backofficeNote('contacts:write', 'backoffice.contacts.write'),
    security: ['bearer', 'apiKeyHeader'],
    pathParams: contactIdParams,
    body: membershipInput,
    bodyTypes: json,
    responses: { 200: { description: 'The person with its organisations', schema: contactView }, ...standardErrors, 404: { description: 'contact_not_found or organisation_not_found', schema: rempError } },
  },
  {
    method: 'delete',
    path: '/backoffice/v1/contacts/{id}/organisations/{organisation_id}',
    tags: backoffice,
    summary: 'Remove a person from an organisation',
    description: backofficeNote('contacts:write', 'backoffice.contacts.write'),
    security: ['bearer', 'apiKeyHeader'],
    pathParams: membershipParams,
    responses: { 200: { description: 'The person with its organisations', schema: contactView }, ...standardErrors, 404: { description: 'contact_not_found or membership_not_found', schema: rempError } },
  },
];
