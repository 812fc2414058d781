import { EntitySchema } from '@mikro-orm/core';

/** REMP device token: pairs the tokens issued to one mobile device so they can be revoked together. */
export interface DeviceTokenRow {
  id: string;
  tokenHash: string;
  deviceId: string;
  customerId?: string | null;
  createdAt: Date;
  lastUsedAt?: Date | null;
  revokedAt?: Date | null;
}

export const DeviceTokenEntity = new EntitySchema<DeviceTokenRow>({
  name: 'DeviceToken',
  tableName: 'device_token',
  properties: {
    id: { type: 'uuid', primary: true },
    tokenHash: { type: 'string', unique: true },
    deviceId: { type: 'string' },
    customerId: { type: 'uuid', nullable: true },
    createdAt: { type: 'Date' },
    lastUsedAt: { type: 'Date', nullable: true },
    revokedAt: { type: 'Date', nullable: true },
  },
});

export interface DeviceGrantRow {
  deviceTokenId: string;
  grantId: string;
  createdAt: Date;
}

export const DeviceGrantEntity = new EntitySchema<DeviceGrantRow>({
  name: 'DeviceGrant',
  tableName: 'device_grant',
  properties: {
    deviceTokenId: { type: 'uuid', primary: true },
    grantId: { type: 'string', primary: true },
    createdAt: { type: 'Date' },
  },
});
