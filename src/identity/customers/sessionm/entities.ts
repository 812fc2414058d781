import { EntitySchema } from '@mikro-orm/core';

/** SessionM profile fields the shared customer record has no column for (one row per customer, when any is set). */
export interface SessionmProfileRow {
  customerId: string;
  state?: string | null;
  updatedAt: Date;
}

export const SessionmProfileEntity = new EntitySchema<SessionmProfileRow>({
  name: 'SessionmProfile',
  tableName: 'sessionm_profile',
  properties: {
    customerId: { type: 'uuid', primary: true },
    state: { type: 'string', nullable: true },
    updatedAt: { type: 'Date' },
  },
});
