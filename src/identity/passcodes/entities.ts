import { EntitySchema } from '@mikro-orm/core';

export const PASS_PHRASE_MODES = ['system', 'manual'] as const;
export const ALLOWED_CHARACTER_SETS = ['numeric', 'alphabets', 'alphanumeric'] as const;
export type PassPhraseMode = (typeof PASS_PHRASE_MODES)[number];
export type AllowedCharacters = (typeof ALLOWED_CHARACTER_SETS)[number];

/** One tenant's passcode rules; a tenant without a row uses DEFAULT_PASSCODE_CONFIG. */
export interface PasscodeConfigRow {
  id?: number;
  tenantId: string;
  passKeyExpires: number;
  passPhraseMode: PassPhraseMode;
  allowedCharacters: AllowedCharacters;
  passPhraseLength: number;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

export const PasscodeConfigEntity = new EntitySchema<PasscodeConfigRow>({
  name: 'PasscodeConfig',
  tableName: 'passcode_config',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    tenantId: { type: 'uuid', unique: true },
    passKeyExpires: { type: 'integer' },
    passPhraseMode: { type: 'string' },
    allowedCharacters: { type: 'string' },
    passPhraseLength: { type: 'integer' },
    createdBy: { type: 'uuid' },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
  },
});

/** A customer's passcode: the key only as an HMAC, the phrase only encrypted. */
export interface PasscodeRow {
  tenantId: string;
  keyHash: string;
  phraseEncrypted: string;
  expiresAt: Date;
  createdAt: Date;
  /** Set by the agent look-up that revealed it: a one-time passcode is heard once. */
  consumedAt?: Date | null;
}

export const PasscodeEntity = new EntitySchema<PasscodeRow>({
  name: 'Passcode',
  tableName: 'passcode',
  properties: {
    tenantId: { type: 'uuid', primary: true },
    keyHash: { type: 'string', primary: true },
    phraseEncrypted: { type: 'string', hidden: true },
    expiresAt: { type: 'Date' },
    createdAt: { type: 'Date' },
    consumedAt: { type: 'Date', nullable: true },
  },
});

export const LOOKUP_RESULTS = ['found', 'expired', 'not_found', 'unauthorized', 'invalid_tenant', 'rate_limited'] as const;
export type LookupResult = (typeof LOOKUP_RESULTS)[number];

/** Every agent look-up, granted or refused. */
export interface PasscodeLookupAuditRow {
  id?: string;
  /** The tenant id as presented in the path (refused look-ups on unknown tenants are kept too). */
  tenantId: string;
  keyHash?: string | null;
  result: LookupResult;
  ip: string;
  requestId?: string | null;
  createdAt: Date;
}

export const PasscodeLookupAuditEntity = new EntitySchema<PasscodeLookupAuditRow>({
  name: 'PasscodeLookupAudit',
  tableName: 'passcode_lookup_audit',
  properties: {
    id: { type: 'bigint', primary: true, autoincrement: true },
    tenantId: { type: 'string' },
    keyHash: { type: 'string', nullable: true },
    result: { type: 'string' },
    ip: { type: 'string' },
    requestId: { type: 'string', nullable: true },
    createdAt: { type: 'Date' },
  },
});
