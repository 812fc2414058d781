import Router from '@koa/router';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../platform/config.js';
import type { CustomerRow } from '../../identity/customers/entities.js';
import { findCustomerByEmail } from '../../identity/customers/service.js';
import type { Orm } from '../../platform/db/orm.js';
import { currentCaller, type Authenticator } from '../../oauth/callers/authenticator.js';
import { input } from '../../platform/http/body.js';
import { ApiError } from '../../platform/http/errors.js';
import { rfc3339 } from './user-presenter.js';
import { ADMIN_SCOPE, apiTokenEndpoint, assertMayActOn } from '../../oauth/callers/user-access.js';
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

type RempAddressFields = { first_name?: string; last_name?: string; company_name?: string; address?: string; number?: string; zip?: string; city?: string; country_iso?: string; phone_number?: string; company_id?: string };

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
  user_id: address.customerId,
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

/** REMP `users/addresses`, `users/address`, `users/change-address-request`, and approving or rejecting a request. */
export function createAddressRoutes(deps: AddressRouteDependencies) {
  const router = new Router({ prefix: '/api/v1/users' });
  const em = () => deps.orm.em.fork() as EntityManager;

  router.get('/addresses', apiTokenEndpoint(deps.auth, 'users.addresses', 'users:read'), async (ctx) => {
    const query = listAddressesQuery.parse(ctx.query);
    const fork = em();
    const customer = assertMayActOn(currentCaller(ctx), await findCustomerByEmail(fork, query.email));
    const addresses = await listAddresses(fork, customer.id, query.type);
    ctx.body = listAddressesResponse.parse({ status: 'ok', addresses: addresses.map((address) => addressView(address, customer)) });
  });

  router.post('/address', apiTokenEndpoint(deps.auth, 'users.address', 'users:write'), async (ctx) => {
    const body = createAddressInput.parse(input(ctx));
    const fork = em();
    const customer = assertMayActOn(currentCaller(ctx), await findCustomerByEmail(fork, body.email));
    const fields = addressFields(body, { taxId: body.tax_id, vatId: body.vat_id });
    fields.countryIso ??= deps.config.addresses.defaultCountryIso ?? null;
    const address = await createAddress(fork, { customerId: customer.id, type: body.type, fields });
    ctx.body = createAddressResponse.parse({ status: 'ok', address: { id: address.id } });
  });

  router.post('/change-address-request', apiTokenEndpoint(deps.auth, 'users.change-address-request', 'users:write'), async (ctx) => {
    const body = changeAddressRequestInput.parse(input(ctx));
    const fork = em();
    const customer = assertMayActOn(currentCaller(ctx), await findCustomerByEmail(fork, body.email));
    const address = await latestAddressOfType(fork, customer.id, body.type);
    // REMP: "If the address with given type doesn't exist yet, HTTP 400 is returned".
    if (!address) throw new ApiError(400, 'parent_address_not_found', 'Parent address not found');
    const request = await requestAddressChange(fork, address, addressFields(body, { taxId: body.company_tax_id, vatId: body.company_vat_id }));
    ctx.body = changeAddressRequestResponse.parse({ status: 'ok', address: { id: address.id }, change_request: changeRequestView(request) });
  });

  const resolver = deps.auth.authenticate({ scopes: [ADMIN_SCOPE], allowApiKey: { endpoint: 'users.address-change-approve' } });
  for (const [action, approve] of [['approve', true], ['reject', false]] as const) {
    router.post(`/change-address-request/:id/${action}`, resolver, async (ctx) => {
      const { id } = changeRequestPath.parse(ctx.params);
      noParameters.parse(input(ctx));
      const request = await resolveAddressChange(em(), id, approve);
      ctx.body = resolveChangeRequestResponse.parse({ status: 'ok', change_request: changeRequestView(request) });
    });
  }

  return router;
}
