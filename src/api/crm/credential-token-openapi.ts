import type { ApiOperation } from '../../platform/openapi/operation.js';
import { rempError, standardErrors } from '../../platform/openapi/shapes.js';
import { TEMPLATE_TAGS } from '../../identity/credentials/credential-tokens/template.js';
import {
  createDefinitionInput,
  createdTokenView,
  createTokenInput,
  definitionListView,
  definitionView,
  idParams,
  linkInput,
  listTokensQuery,
  resetPassCodeView,
  selfServiceVerifyInput,
  stateChangeListView,
  tokenListView,
  tokenView,
  unlinkParams,
  updateDefinitionInput,
  verifiedView,
  verifyInput,
} from '../../identity/credentials/credential-tokens/schemas.js';

const tags = ['CRM.COM access tokens (customer credentials)'];
const json: ApiOperation['bodyTypes'] = ['json', 'form'];
const security: ApiOperation['security'] = ['bearer', 'apiKeyHeader'];
const auth = (scope: string, endpoint: string) => `A client-credentials token with \`${scope}\`, or an API key whitelisted for \`${endpoint}\`.`;
const notFound = { 404: { description: 'Not found', schema: rempError } };

const TOKENS_EXPLAINED =
  'CRM.COM access tokens are customer credentials, not OAuth tokens: an identifier + pass code (argon2id at rest), or an ' +
  'authentication code (SHA-256 at rest) when the definition allows tokens without both. Life cycle: PENDING_VERIFICATION → ' +
  'EFFECTIVE → NOT_EFFECTIVE; a token without any linked entity is NOT_EFFECTIVE. Only EFFECTIVE tokens sign in: identifier + ' +
  'pass code at `POST /oauth/token` with `grant_type=password` (`username`, `password`) or at POST /self-service/v1/contacts/authenticate; ' +
  'an authentication code with `grant_type=urn:gatehouse:grant-type:access-token-code` and `authentication_code` (the client must be allowed that grant). ' +
  'Generated pass codes and authentication codes are returned once, in the response that generated them.';

export const accessTokenOperations: ApiOperation[] = [
  {
    method: 'post',
    path: '/backoffice/v1/access-token-definitions',
    tags,
    summary: 'Create an access token definition (formats, pass code rules, verification, communication template)',
    description:
      `${auth('contacts:write', 'backoffice.access-token-definitions.write')} One definition is active per classification (null = the default); ` +
      'activating one deactivates the other. The communication template is text with #tags, rendered on assignment; known tags: ' +
      `${TEMPLATE_TAGS.map((tag) => `#${tag}`).join(', ')}. An unknown tag is a 400 (unknown_template_tag). require_verification needs a template with #access_token.verification_code.`,
    security,
    body: createDefinitionInput,
    bodyTypes: json,
    responses: { 201: { description: 'Created', schema: definitionView }, ...standardErrors },
  },
  {
    method: 'get',
    path: '/backoffice/v1/access-token-definitions',
    tags,
    summary: 'List access token definitions',
    description: auth('contacts:read', 'backoffice.access-token-definitions.read'),
    security,
    responses: { 200: { description: 'Definitions', schema: definitionListView }, ...standardErrors },
  },
  {
    method: 'get',
    path: '/backoffice/v1/access-token-definitions/{id}',
    tags,
    summary: 'Read an access token definition',
    description: auth('contacts:read', 'backoffice.access-token-definitions.read'),
    security,
    pathParams: idParams,
    responses: { 200: { description: 'The definition', schema: definitionView }, ...standardErrors, ...notFound },
  },
  {
    method: 'put',
    path: '/backoffice/v1/access-token-definitions/{id}',
    tags,
    summary: 'Update an access token definition (fields given)',
    description: auth('contacts:write', 'backoffice.access-token-definitions.write'),
    security,
    pathParams: idParams,
    body: updateDefinitionInput,
    bodyTypes: json,
    responses: { 200: { description: 'Updated', schema: definitionView }, ...standardErrors, ...notFound },
  },
  {
    method: 'post',
    path: '/backoffice/v1/access-tokens',
    tags,
    summary: 'Create an access token, optionally linked to a contact',
    description: `${auth('contacts:write', 'backoffice.access-tokens.write')} ${TOKENS_EXPLAINED}`,
    security,
    body: createTokenInput,
    bodyTypes: json,
    responses: {
      201: { description: 'Created; generated secrets shown once', schema: createdTokenView },
      ...standardErrors,
      404: { description: 'contact_not_found', schema: rempError },
      409: { description: 'identifier_taken, no_active_definition or no_recipient', schema: rempError },
    },
  },
  {
    method: 'get',
    path: '/backoffice/v1/access-tokens',
    tags,
    summary: 'List access tokens (by contact, identifier or state)',
    description: auth('contacts:read', 'backoffice.access-tokens.read'),
    security,
    query: listTokensQuery,
    responses: { 200: { description: 'A page of access tokens', schema: tokenListView }, ...standardErrors },
  },
  {
    method: 'get',
    path: '/backoffice/v1/access-tokens/{id}',
    tags,
    summary: 'Read an access token',
    description: auth('contacts:read', 'backoffice.access-tokens.read'),
    security,
    pathParams: idParams,
    responses: { 200: { description: 'The access token', schema: tokenView }, ...standardErrors, ...notFound },
  },
  {
    method: 'get',
    path: '/backoffice/v1/access-tokens/{id}/state-changes',
    tags,
    summary: 'Every life-cycle state change of an access token, oldest first',
    description: auth('contacts:read', 'backoffice.access-tokens.read'),
    security,
    pathParams: idParams,
    responses: { 200: { description: 'State changes', schema: stateChangeListView }, ...standardErrors, ...notFound },
  },
  {
    method: 'post',
    path: '/backoffice/v1/access-tokens/{id}/verify',
    tags,
    summary: 'Verify a Pending Verification token with its code (→ EFFECTIVE)',
    description: `${auth('contacts:write', 'backoffice.access-tokens.write')} Wrong, expired or used-up codes are the same 400; each token accepts CREDENTIAL_TOKEN_VERIFICATION_MAX_ATTEMPTS tries per code.`,
    security,
    pathParams: idParams,
    body: verifyInput,
    bodyTypes: json,
    responses: { 200: { description: 'Verified', schema: verifiedView }, ...standardErrors },
  },
  {
    method: 'post',
    path: '/backoffice/v1/access-tokens/{id}/resend-verification',
    tags,
    summary: 'Send a new verification code (the previous one stops working)',
    description: auth('contacts:write', 'backoffice.access-tokens.write'),
    security,
    pathParams: idParams,
    responses: { 200: { description: 'Sent', schema: tokenView }, ...standardErrors, ...notFound, 409: { description: 'not_pending_verification or not_linked', schema: rempError } },
  },
  {
    method: 'post',
    path: '/backoffice/v1/access-tokens/{id}/reset-pass-code',
    tags,
    summary: 'Generate a new pass code without the old one (returned once)',
    description: auth('contacts:write', 'backoffice.access-tokens.write'),
    security,
    pathParams: idParams,
    responses: { 200: { description: 'The new pass code', schema: resetPassCodeView }, ...standardErrors, ...notFound, 409: { description: 'no_pass_code', schema: rempError } },
  },
  {
    method: 'post',
    path: '/backoffice/v1/access-tokens/{id}/entities',
    tags,
    summary: 'Link the token to a contact as rewards participant or accounts receivable',
    description: `${auth('contacts:write', 'backoffice.access-tokens.write')} The first link makes a NOT_EFFECTIVE token PENDING_VERIFICATION (code sent) or EFFECTIVE, and sends the definition's communication.`,
    security,
    pathParams: idParams,
    body: linkInput,
    bodyTypes: json,
    responses: { 200: { description: 'Linked', schema: tokenView }, ...standardErrors, ...notFound, 409: { description: 'linked_to_another_contact or no_recipient', schema: rempError } },
  },
  {
    method: 'delete',
    path: '/backoffice/v1/access-tokens/{id}/entities/{entity_type}',
    tags,
    summary: 'Unlink an entity; the token becomes NOT_EFFECTIVE when none is left',
    description: auth('contacts:write', 'backoffice.access-tokens.write'),
    security,
    pathParams: unlinkParams,
    responses: { 200: { description: 'Unlinked', schema: tokenView }, ...standardErrors, ...notFound },
  },
  {
    method: 'post',
    path: '/self-service/v1/access-tokens/verify',
    tags,
    summary: 'The customer verifies its access token with the code it received (by identifier or number)',
    description: "Authenticated by the application's `api_key` header (API key whitelisted for `access-tokens.verify`). Every failure is the same 400.",
    security: ['apiKeyHeader'],
    body: selfServiceVerifyInput,
    bodyTypes: json,
    responses: { 200: { description: 'Verified', schema: verifiedView }, ...standardErrors },
  },
];
