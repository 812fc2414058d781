import { EntitySchema } from '@mikro-orm/core';

export interface LoginAttemptRow {
  id?: string;
  customerId?: string | null;
  /** password, otp, device_token, autologin, google, apple, facebook, access_token, interaction */
  method: string;
  result: 'success' | 'failure' | 'locked';
  source?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  createdAt: Date;
}

export const LoginAttemptEntity = new EntitySchema<LoginAttemptRow>({
  name: 'LoginAttempt',
  tableName: 'login_attempt',
  properties: {
    id: { type: 'bigint', primary: true, autoincrement: true },
    customerId: { type: 'uuid', nullable: true },
    method: { type: 'string' },
    result: { type: 'string' },
    source: { type: 'string', nullable: true },
    ip: { type: 'string', nullable: true },
    userAgent: { type: 'string', nullable: true },
    createdAt: { type: 'Date' },
  },
});
