import { EntitySchema } from '@mikro-orm/core';

/** REMP autologin token: a link-borne credential with an expiry and a use limit. */
export interface AutologinTokenRow {
  id: string;
  tokenHash: string;
  customerId: string;
  validFrom: Date;
  validTo: Date;
  maxUses: number;
  usedCount: number;
  createdAt: Date;
  lastUsedAt?: Date | null;
}

export const AutologinTokenEntity = new EntitySchema<AutologinTokenRow>({
  name: 'AutologinToken',
  tableName: 'autologin_token',
  properties: {
    id: { type: 'uuid', primary: true },
    tokenHash: { type: 'string', unique: true },
    customerId: { type: 'uuid' },
    validFrom: { type: 'Date' },
    validTo: { type: 'Date' },
    maxUses: { type: 'integer' },
    usedCount: { type: 'integer', default: 0 },
    createdAt: { type: 'Date' },
    lastUsedAt: { type: 'Date', nullable: true },
  },
});
