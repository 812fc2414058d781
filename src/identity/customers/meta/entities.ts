import { EntitySchema } from '@mikro-orm/core';

/** REMP user meta: one value per key per customer; `isPublic` controls what list endpoints reveal. */
export interface UserMetaRow {
  customerId: string;
  key: string;
  value: string;
  isPublic: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export const UserMetaEntity = new EntitySchema<UserMetaRow>({
  name: 'UserMeta',
  tableName: 'user_meta',
  properties: {
    customerId: { type: 'uuid', primary: true },
    key: { type: 'string', primary: true },
    value: { type: 'text' },
    isPublic: { type: 'boolean', default: false },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
  },
});
