import { EntitySchema } from '@mikro-orm/core';

/**
 * Key life cycle: `next` (published, not signing) → `current` (signing) → `retired` (published
 * until every token it signed has expired, then deleted).
 */
export type SigningKeyStatus = 'next' | 'current' | 'retired';

export interface SigningKeyRow {
  kid: string;
  alg: 'RS256' | 'ES256' | 'EdDSA';
  status: SigningKeyStatus;
  /** The private JWK, AES-256-GCM encrypted under a key derived from GATEHOUSE_SECRET. */
  encryptedJwk: string;
  createdAt: Date;
  activatedAt?: Date | null;
  retiredAt?: Date | null;
  /** When a retired key may be removed from JWKS: after the longest-lived token it signed. */
  removeAfter?: Date | null;
}

export const SigningKeyEntity = new EntitySchema<SigningKeyRow>({
  name: 'SigningKey',
  tableName: 'signing_key',
  properties: {
    kid: { type: 'string', primary: true },
    alg: { type: 'string' },
    status: { type: 'string' },
    encryptedJwk: { type: 'text' },
    createdAt: { type: 'Date' },
    activatedAt: { type: 'Date', nullable: true },
    retiredAt: { type: 'Date', nullable: true },
    removeAfter: { type: 'Date', nullable: true },
  },
});
