import { EntitySchema } from '@mikro-orm/core';

/** A company's IT admin: signs up, logs in for a 30-day bearer token and manages their tenants. */
export interface TenantAdminRow {
  id: string;
  /** The integer the passcode service shows as `created_by` (spec: `"created_by": 1400`); numbered by the database. */
  numericId?: number;
  name: string;
  email: string;
  /** Lower-cased e-mail; unique, so sign-up and login are case-insensitive. */
  emailNormalized: string;
  passwordHash: string;
  createdAt: Date;
  updatedAt: Date;
}

export const TenantAdminEntity = new EntitySchema<TenantAdminRow>({
  name: 'TenantAdmin',
  tableName: 'tenant_admin',
  properties: {
    id: { type: 'uuid', primary: true },
    numericId: { type: 'integer', generated: 'by default as identity', unique: true },
    name: { type: 'string' },
    email: { type: 'string' },
    emailNormalized: { type: 'string', unique: true },
    passwordHash: { type: 'string', hidden: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
  },
});

export const TENANT_STATUSES = ['INACTIVE', 'ACTIVE'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

/** A company using the passcode service. Created INACTIVE; a service admin activates it. */
export interface TenantRow {
  id: string;
  name: string;
  /** Lower-cased, whitespace-collapsed name; unique. */
  nameNormalized: string;
  status: TenantStatus;
  ownerId: string;
  /** SHA-256 of the current API key (high-entropy, so a fast hash is enough); null until the first refresh. */
  apiKeyHash?: string | null;
  apiKeyCreatedAt?: Date | null;
  activatedAt?: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export const TenantEntity = new EntitySchema<TenantRow>({
  name: 'Tenant',
  tableName: 'tenant',
  properties: {
    id: { type: 'uuid', primary: true },
    name: { type: 'string' },
    nameNormalized: { type: 'string', unique: true },
    status: { type: 'string' },
    ownerId: { type: 'uuid' },
    apiKeyHash: { type: 'string', nullable: true, hidden: true, unique: true },
    apiKeyCreatedAt: { type: 'Date', nullable: true },
    activatedAt: { type: 'Date', nullable: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
  },
});
