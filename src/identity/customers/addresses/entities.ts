import { EntitySchema, type EntitySchemaMetadata } from '@mikro-orm/core';

/** The address fields REMP documents (`POST /api/v1/users/address`). */
export interface AddressFields {
  firstName?: string | null;
  lastName?: string | null;
  companyName?: string | null;
  address?: string | null;
  number?: string | null;
  zip?: string | null;
  city?: string | null;
  countryIso?: string | null;
  phoneNumber?: string | null;
  companyId?: string | null;
  taxId?: string | null;
  vatId?: string | null;
}

export const ADDRESS_FIELD_NAMES = [
  'firstName',
  'lastName',
  'companyName',
  'address',
  'number',
  'zip',
  'city',
  'countryIso',
  'phoneNumber',
  'companyId',
  'taxId',
  'vatId',
] as const;

const fieldProperties = Object.fromEntries(ADDRESS_FIELD_NAMES.map((name) => [name, { type: 'string', nullable: true }])) as Record<
  keyof AddressFields,
  { type: 'string'; nullable: true }
>;

/** A customer's address of a given type (`print`, `invoice`, …); a customer may hold several. */
export interface AddressRow extends AddressFields {
  id: number;
  customerId: string;
  type: string;
  createdAt: Date;
  updatedAt: Date;
}

export const AddressEntity = new EntitySchema<AddressRow>({
  name: 'Address',
  tableName: 'address',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    customerId: { type: 'uuid' },
    type: { type: 'string' },
    ...fieldProperties,
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
  } as EntitySchemaMetadata<AddressRow>['properties'],
});

export type AddressChangeStatus = 'new' | 'accepted' | 'rejected';

/**
 * A requested change of an existing address (REMP `change-address-request`); it changes the
 * address only when approved. Fields left null were not part of the request.
 */
export interface AddressChangeRequestRow extends AddressFields {
  id: number;
  addressId: number;
  customerId: string;
  type: string;
  status: AddressChangeStatus;
  createdAt: Date;
  resolvedAt?: Date | null;
}

export const AddressChangeRequestEntity = new EntitySchema<AddressChangeRequestRow>({
  name: 'AddressChangeRequest',
  tableName: 'address_change_request',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    addressId: { type: 'integer' },
    customerId: { type: 'uuid' },
    type: { type: 'string' },
    status: { type: 'string' },
    ...fieldProperties,
    createdAt: { type: 'Date' },
    resolvedAt: { type: 'Date', nullable: true },
  } as EntitySchemaMetadata<AddressChangeRequestRow>['properties'],
});
