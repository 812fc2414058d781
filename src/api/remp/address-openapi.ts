import type { ApiOperation } from '../../platform/openapi/operation.js';
import { rempError, standardErrors } from '../../platform/openapi/shapes.js';
import { apiTokenAuth, apiTokenSecurity, rempAuthErrors, rempBodyTypes } from './users-openapi.js';
import {
  changeAddressRequestInput,
  changeAddressRequestResponse,
  changeRequestPath,
  createAddressInput,
  createAddressResponse,
  listAddressesQuery,
  listAddressesResponse,
  resolveChangeRequestResponse,
} from '../../identity/customers/addresses/schemas.js';

const userNotFound = { description: 'user_not_found', schema: rempError };

export const addressOperations: ApiOperation[] = [
  {
    method: 'get',
    path: '/api/v1/users/addresses',
    tags: ['REMP users'],
    summary: "A user's addresses (by e-mail), optionally of one type",
    description: apiTokenAuth('users.addresses', 'users:read'),
    security: apiTokenSecurity,
    query: listAddressesQuery,
    responses: { 200: { description: 'Addresses', schema: listAddressesResponse }, 400: standardErrors[400], ...rempAuthErrors, 404: userNotFound },
  },
  {
    method: 'post',
    path: '/api/v1/users/address',
    tags: ['REMP users'],
    summary: 'Create an address for a user',
    description: `${apiTokenAuth('users.address', 'users:write')} country_iso is an ISO 3166-1 alpha-2 code; without it ADDRESS_DEFAULT_COUNTRY is used.`,
    security: apiTokenSecurity,
    body: createAddressInput,
    bodyTypes: rempBodyTypes,
    responses: { 200: { description: 'Created', schema: createAddressResponse }, 400: standardErrors[400], ...rempAuthErrors, 404: userNotFound },
  },
  {
    method: 'post',
    path: '/api/v1/users/change-address-request',
    tags: ['REMP users'],
    summary: 'Request a change of the newest address of a type; it applies once approved',
    description: `${apiTokenAuth('users.change-address-request', 'users:write')} Only the fields sent are changed on approval. country_id (deprecated in REMP) is refused: send country_iso.`,
    security: apiTokenSecurity,
    body: changeAddressRequestInput,
    bodyTypes: rempBodyTypes,
    responses: {
      200: { description: 'Requested; `address.id` is the address, `change_request.id` what approve/reject take', schema: changeAddressRequestResponse },
      400: { description: 'Invalid input, or parent_address_not_found ("Parent address not found")', schema: rempError },
      ...rempAuthErrors,
      404: userNotFound,
    },
  },
  ...(['approve', 'reject'] as const).map(
    (action): ApiOperation => ({
      method: 'post',
      path: `/api/v1/users/change-address-request/{id}/${action}`,
      tags: ['REMP users'],
      summary: action === 'approve' ? 'Approve an address change request: the address takes its fields' : 'Reject an address change request',
      description: 'An API key whitelisted for `users.address-change-approve`, or a user or client-credentials token with users:admin.',
      security: apiTokenSecurity,
      pathParams: changeRequestPath,
      responses: {
        200: { description: 'Resolved', schema: resolveChangeRequestResponse },
        400: standardErrors[400],
        ...rempAuthErrors,
        404: { description: 'change_request_not_found', schema: rempError },
        409: { description: 'change_request_resolved: already approved or rejected', schema: rempError },
      },
    }),
  ),
];
