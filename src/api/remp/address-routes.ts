import { requestEntityManager } from '../../platform/db/orm.js';
import type { Config } from '../../platform/config.js';
import type { CustomerRow } from '../../identity/customers/entities.js';
import { findCustomerByEmail } from '../../identity/customers/service.js';
import type { Orm } from '../../platform/db/orm.js';
import { currentCaller, type Authenticator } from '../../oauth/callers/authenticator.js';
import { ApiError } from '../../platform/http/errors.js';
import { rempId, rfc3339 } from './user-presenter.js';
import { ADMIN_SCOPE, assertMayActOn } from '../../oauth/callers/user-access.js';
import { route, routerFor, type DeclaredRoute } from '../../platform/openapi/route.js';
import { rempErrors, rempFailure } from '../../platform/openapi/shapes.js';
import { apiToken, exampleUser, exampleUserId, rempBodyTypes, rempRefused } from './declarations.js';
import { noParameters } from '../../identity/customers/remp-schemas.js';
import { countryName } from '../../platform/countries.js';
import type { AddressChangeRequestRow, AddressFields, AddressRow } from '../../identity/customers/addresses/entities.js';
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
import { createAddress, latestAddressOfType, listAddresses, requestAddressChange, resolveAddressChange } from '../../identity/customers/addresses/service.js';

export interface AddressRouteDependencies {
  config: Pick<Config, 'addresses'>;
  orm: Orm;
  auth: Authenticator;
}

type RempAddressFields = {
  first_name?: string;
  last_name?: string;
  company_name?: string;
  address?: string;
  number?: string;
  zip?: string;
  city?: string;
  country_iso?: string;
  phone_number?: string;
  company_id?: string;
};

const addressFields = (body: RempAddressFields, taxIds: { taxId?: string; vatId?: string }): AddressFields => ({
  firstName: body.first_name ?? null,
  lastName: body.last_name ?? null,
  companyName: body.company_name ?? null,
  address: body.address ?? null,
  number: body.number ?? null,
  zip: body.zip ?? null,
  city: body.city ?? null,
  countryIso: body.country_iso ?? null,
  phoneNumber: body.phone_number ?? null,
  companyId: body.company_id ?? null,
  taxId: taxIds.taxId ?? null,
  vatId: taxIds.vatId ?? null,
});

const addressView = (address: AddressRow, customer: CustomerRow) => ({
  id: address.id,
  user_id: rempId(customer),
  type: address.type,
  created_at: rfc3339(address.createdAt),
  email: customer.email ?? null,
  company_name: address.companyName ?? null,
  phone_number: address.phoneNumber ?? null,
  company_id: address.companyId ?? null,
  tax_id: address.taxId ?? null,
  vat_id: address.vatId ?? null,
  first_name: address.firstName ?? null,
  last_name: address.lastName ?? null,
  address: address.address ?? null,
  number: address.number ?? null,
  zip: address.zip ?? null,
  city: address.city ?? null,
  country: countryName(address.countryIso),
  country_iso: address.countryIso ?? null,
});

const changeRequestView = (request: AddressChangeRequestRow) => ({ id: request.id, address_id: request.addressId, type: request.type, status: request.status });

const tags: ['REMP users'] = ['REMP users'];

const addressExample = {
  id: 12,
  user_id: exampleUserId,
  type: 'invoice',
  created_at: '2026-11-26T10:21:14.000Z',
  email: exampleUser.email,
  company_name: null,
  phone_number: '+35799123456',
  company_id: null,
  tax_id: null,
  vat_id: null,
  first_name: 'Jane',
  last_name: 'Doe',
  address: 'Makariou Avenue',
  number: '12',
  zip: '1065',
  city: 'Nicosia',
  country: 'Cyprus',
  country_iso: 'CY',
};
const changeRequestExample = { id: 7, address_id: 12, type: 'invoice', status: 'new' };

/** REMP `users/addresses`, `users/address`, `users/change-address-request`, and approving or rejecting a request. */
export function createAddressRoutes(deps: AddressRouteDependencies) {
  const em = () => requestEntityManager(deps.orm);

  const resolver = deps.auth.authenticate({ scopes: [ADMIN_SCOPE], allowApiKey: { endpoint: 'users.address-change-approve' } });
  const resolve = (action: 'approve' | 'reject', approve: boolean): DeclaredRoute =>
    route({
      method: 'post',
      path: `/api/v1/users/change-address-request/{id}/${action}`,
      tags,
      summary: approve ? 'Approve an address change request: the address takes its fields' : 'Reject an address change request',
      description:
        'An API key whitelisted for `users.address-change-approve`, or a user or client-credentials token with users:admin. Takes no parameters besides the id.',
      security: [{ bearer: [ADMIN_SCOPE] }, { apiKeyHeader: [] }, { xApiKey: [] }],
      middleware: [resolver],
      request: { params: changeRequestPath, body: noParameters, bodyTypes: rempBodyTypes, mergeQueryAndBody: true },
      responses: {
        200: {
          description: 'Resolved',
          schema: resolveChangeRequestResponse,
          example: { status: 'ok', change_request: { ...changeRequestExample, status: approve ? 'accepted' : 'rejected' } },
        },
        400: rempErrors.invalid,
        ...rempRefused,
        404: rempFailure('change_request_not_found', { code: 'change_request_not_found', message: 'Address change request not found' }),
        409: rempFailure('change_request_resolved: already approved or rejected', {
          code: 'change_request_resolved',
          message: 'The address change request was already accepted',
        }),
      },
      async handler(ctx, { params }) {
        const request = await resolveAddressChange(em(), params.id, approve);
        ctx.body = { status: 'ok', change_request: changeRequestView(request) };
      },
    });

  return routerFor([
    route({
      method: 'get',
      path: '/api/v1/users/addresses',
      tags,
      summary: "A user's addresses (by e-mail), optionally of one type",
      ...apiToken(deps.auth, 'users.addresses', 'users:read'),
      request: { query: listAddressesQuery },
      responses: {
        200: { description: 'Addresses', schema: listAddressesResponse, example: { status: 'ok', addresses: [addressExample] } },
        400: rempErrors.invalid,
        ...rempRefused,
        404: rempErrors.userNotFound,
      },
      async handler(ctx, { query }) {
        const fork = em();
        const customer = assertMayActOn(currentCaller(ctx), await findCustomerByEmail(fork, query.email));
        const addresses = await listAddresses(fork, customer.id, query.type);
        ctx.body = { status: 'ok', addresses: addresses.map((address) => addressView(address, customer)) };
      },
    }),
    route({
      method: 'post',
      path: '/api/v1/users/address',
      tags,
      summary: 'Create an address for a user',
      ...apiToken(deps.auth, 'users.address', 'users:write', {
        note: 'country_iso is an ISO 3166-1 alpha-2 code; without it ADDRESS_DEFAULT_COUNTRY is used.',
      }),
      request: {
        body: createAddressInput,
        bodyTypes: rempBodyTypes,
        mergeQueryAndBody: true,
        example: {
          email: exampleUser.email,
          type: 'invoice',
          first_name: 'Jane',
          last_name: 'Doe',
          address: 'Makariou Avenue',
          number: '12',
          zip: '1065',
          city: 'Nicosia',
          country_iso: 'CY',
        },
      },
      responses: {
        200: { description: 'Created', schema: createAddressResponse, example: { status: 'ok', address: { id: 12 } } },
        400: rempErrors.invalid,
        ...rempRefused,
        404: rempErrors.userNotFound,
      },
      async handler(ctx, { body }) {
        const fork = em();
        const customer = assertMayActOn(currentCaller(ctx), await findCustomerByEmail(fork, body.email));
        const fields = addressFields(body, { taxId: body.tax_id, vatId: body.vat_id });
        fields.countryIso ??= deps.config.addresses.defaultCountryIso ?? null;
        const address = await createAddress(fork, { customerId: customer.id, type: body.type, fields });
        ctx.body = { status: 'ok', address: { id: address.id } };
      },
    }),
    route({
      method: 'post',
      path: '/api/v1/users/change-address-request',
      tags,
      summary: 'Request a change of the newest address of a type; it applies once approved',
      ...apiToken(deps.auth, 'users.change-address-request', 'users:write', {
        note: 'Only the fields sent are changed on approval. country_id (deprecated in REMP) is read as an ISO 3166-1 numeric code; prefer country_iso.',
      }),
      request: {
        body: changeAddressRequestInput,
        bodyTypes: rempBodyTypes,
        mergeQueryAndBody: true,
        example: { email: exampleUser.email, type: 'invoice', city: 'Limassol', zip: '3036' },
      },
      responses: {
        200: {
          description: 'Requested; `address.id` is the address, `change_request.id` what approve/reject take',
          schema: changeAddressRequestResponse,
          example: { status: 'ok', address: { id: 12 }, change_request: changeRequestExample },
        },
        400: rempFailure('Invalid input, or parent_address_not_found ("Parent address not found")', {
          code: 'parent_address_not_found',
          message: 'Parent address not found',
        }),
        ...rempRefused,
        404: rempErrors.userNotFound,
      },
      async handler(ctx, { body }) {
        const fork = em();
        const customer = assertMayActOn(currentCaller(ctx), await findCustomerByEmail(fork, body.email));
        const address = await latestAddressOfType(fork, customer.id, body.type);
        // REMP: "If the address with given type doesn't exist yet, HTTP 400 is returned".
        if (!address) throw new ApiError(400, 'parent_address_not_found', 'Parent address not found');
        const request = await requestAddressChange(fork, address, addressFields(body, { taxId: body.company_tax_id, vatId: body.company_vat_id }));
        ctx.body = { status: 'ok', address: { id: address.id }, change_request: changeRequestView(request) };
      },
    }),
    resolve('approve', true),
    resolve('reject', false),
  ]);
}
