import { EntitySchema } from '@mikro-orm/core';

/**
 * One customer record: a REMP user, a SessionM profile and a CRM.COM person contact are the
 * same row seen through different APIs (spec README, "One customer record").
 */
export interface CustomerRow {
  id: string;
  email?: string | null;
  /** Lower-cased e-mail; unique, so e-mail matching is case-insensitive. */
  emailNormalized?: string | null;
  emailVerifiedAt?: Date | null;
  passwordHash?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  locale?: string | null;
  createdAt: Date;
  updatedAt: Date;
  deactivatedAt?: Date | null;
}

export const CustomerEntity = new EntitySchema<CustomerRow>({
  name: 'Customer',
  tableName: 'customer',
  properties: {
    id: { type: 'uuid', primary: true },
    email: { type: 'string', nullable: true },
    emailNormalized: { type: 'string', nullable: true, unique: true },
    emailVerifiedAt: { type: 'Date', nullable: true },
    passwordHash: { type: 'string', nullable: true, hidden: true },
    firstName: { type: 'string', nullable: true },
    lastName: { type: 'string', nullable: true },
    locale: { type: 'string', nullable: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
    deactivatedAt: { type: 'Date', nullable: true },
  },
});
