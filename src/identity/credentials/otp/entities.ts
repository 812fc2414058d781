import { EntitySchema } from '@mikro-orm/core';

export type OtpChannel = 'sms' | 'email';
/** `login`: the public request endpoint; `verify`: a caller proving a contact it just attached to a customer (registration). */
export type OtpPurpose = 'login' | 'verify';

/**
 * One code sent (or, for an unknown identifier, pretended to be sent) to an e-mail address or
 * phone number. Neither the code nor the contact is stored: both are HMACs under keys derived
 * from GATEHOUSE_SECRET, so a database dump reveals no codes and no contact details.
 */
export interface OtpChallengeRow {
  id: string;
  channel: OtpChannel;
  purpose: OtpPurpose;
  /** HMAC of `channel:normalized identifier`; every look-up and limit goes through it. */
  identifierHash: string;
  /** Null when nobody is registered with the identifier: the challenge exists so limits answer alike, but never verifies. */
  customerId?: string | null;
  /** HMAC of `challenge id:code`. */
  codeHash: string;
  attempts: number;
  maxAttempts: number;
  expiresAt: Date;
  consumedAt?: Date | null;
  ipHash?: string | null;
  createdAt: Date;
}

export const OtpChallengeEntity = new EntitySchema<OtpChallengeRow>({
  name: 'OtpChallenge',
  tableName: 'otp_challenge',
  properties: {
    id: { type: 'uuid', primary: true },
    channel: { type: 'string' },
    purpose: { type: 'string' },
    identifierHash: { type: 'string' },
    customerId: { type: 'uuid', nullable: true },
    codeHash: { type: 'string', hidden: true },
    attempts: { type: 'integer', default: 0 },
    maxAttempts: { type: 'integer' },
    expiresAt: { type: 'Date' },
    consumedAt: { type: 'Date', nullable: true },
    ipHash: { type: 'string', nullable: true },
    createdAt: { type: 'Date' },
  },
});
