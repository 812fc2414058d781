import { EntitySchema } from '@mikro-orm/core';

/**
 * CRM.COM "access tokens" are customer credentials (identifier + pass code, or an authentication
 * code), not OAuth tokens. In code they are *credential tokens* so the two never get confused;
 * the tables and the API keep CRM.COM's names (crm-com-access-tokens).
 */
export type CredentialTokenState = 'PENDING_VERIFICATION' | 'EFFECTIVE' | 'NOT_EFFECTIVE';
export const CREDENTIAL_TOKEN_STATES = ['PENDING_VERIFICATION', 'EFFECTIVE', 'NOT_EFFECTIVE'] as const;

export type IdentifierFormat = 'EMAIL' | 'PHONE' | 'ANY';
export type CommunicationChannel = 'EMAIL' | 'SMS';

export interface PassCodeRules {
  min_length: number;
  max_length: number;
  require_lowercase: boolean;
  require_uppercase: boolean;
  require_digit: boolean;
  require_symbol: boolean;
}

/** How tokens are formatted and generated; `classification` null is the default definition. */
export interface AccessTokenDefinitionRow {
  id: string;
  name: string;
  classification?: string | null;
  active: boolean;
  identifierFormat: IdentifierFormat;
  passCodeRules: PassCodeRules;
  requireVerification: boolean;
  verificationCodeLength: number;
  /** Tokens may be created with neither identifier nor pass code: an authentication code is generated. */
  allowWithoutCredentials: boolean;
  /** Self-service registration creates a token for the new customer. */
  assignOnRegistration: boolean;
  /** Sent when a token is assigned to a customer; null = no communication. */
  communicationChannel?: CommunicationChannel | null;
  communicationSubject?: string | null;
  communicationTemplate?: string | null;
  /**
   * Fill `#access_token.pass_code` with the pass code in clear when it is known (set or generated
   * in the same request). Off by default: it puts a password in an e-mail or SMS.
   */
  communicatePassCode: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export const AccessTokenDefinitionEntity = new EntitySchema<AccessTokenDefinitionRow>({
  name: 'AccessTokenDefinition',
  tableName: 'access_token_definition',
  properties: {
    id: { type: 'uuid', primary: true },
    name: { type: 'string' },
    classification: { type: 'string', nullable: true },
    active: { type: 'boolean' },
    identifierFormat: { type: 'string' },
    passCodeRules: { type: 'json' },
    requireVerification: { type: 'boolean' },
    verificationCodeLength: { type: 'integer' },
    allowWithoutCredentials: { type: 'boolean' },
    assignOnRegistration: { type: 'boolean' },
    communicationChannel: { type: 'string', nullable: true },
    communicationSubject: { type: 'string', nullable: true },
    communicationTemplate: { type: 'text', nullable: true },
    communicatePassCode: { type: 'boolean', default: false },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
  },
});

export interface CredentialTokenRow {
  id: string;
  number: string;
  definitionId: string;
  classification?: string | null;
  identifier?: string | null;
  /** What sign-in matches on: lower-cased e-mail / text, or E.164. Unique. */
  identifierNormalized?: string | null;
  /** argon2id (src/platform/crypto/passwords.ts). */
  passCodeHash?: string | null;
  /** SHA-256 of a 256-bit random code: high entropy, so a fast hash is enough and it can be looked up. */
  authenticationCodeHash?: string | null;
  state: CredentialTokenState;
  verifiedAt?: Date | null;
  /** HMAC of `token id:code` (key derived from GATEHOUSE_SECRET). */
  verificationCodeHash?: string | null;
  verificationExpiresAt?: Date | null;
  verificationAttempts: number;
  verificationMaxAttempts: number;
  createdAt: Date;
  updatedAt: Date;
}

export const CredentialTokenEntity = new EntitySchema<CredentialTokenRow>({
  name: 'CredentialToken',
  tableName: 'access_token',
  properties: {
    id: { type: 'uuid', primary: true },
    number: { type: 'string' },
    definitionId: { type: 'uuid' },
    classification: { type: 'string', nullable: true },
    identifier: { type: 'string', nullable: true },
    identifierNormalized: { type: 'string', nullable: true },
    passCodeHash: { type: 'string', nullable: true, hidden: true },
    authenticationCodeHash: { type: 'string', nullable: true, hidden: true },
    state: { type: 'string' },
    verifiedAt: { type: 'Date', nullable: true },
    verificationCodeHash: { type: 'string', nullable: true, hidden: true },
    verificationExpiresAt: { type: 'Date', nullable: true },
    verificationAttempts: { type: 'integer' },
    verificationMaxAttempts: { type: 'integer' },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
  },
});

/** The CRM.COM entities a token identifies; both are a customer's. */
export type LinkedEntityType = 'REWARDS_PARTICIPANT' | 'ACCOUNTS_RECEIVABLE';
export const LINKED_ENTITY_TYPES = ['REWARDS_PARTICIPANT', 'ACCOUNTS_RECEIVABLE'] as const;

export interface CredentialTokenLinkRow {
  accessTokenId: string;
  entityType: LinkedEntityType;
  customerId: string;
  createdAt: Date;
}

export const CredentialTokenLinkEntity = new EntitySchema<CredentialTokenLinkRow>({
  name: 'CredentialTokenLink',
  tableName: 'access_token_entity',
  properties: {
    accessTokenId: { type: 'uuid', primary: true },
    entityType: { type: 'string', primary: true },
    customerId: { type: 'uuid' },
    createdAt: { type: 'Date' },
  },
});

export type StateChangeReason = 'CREATED' | 'LINKED' | 'VERIFIED' | 'UNLINKED' | 'NO_LINKED_ENTITY' | 'MANUAL';

export interface CredentialTokenStateChangeRow {
  id?: string;
  accessTokenId: string;
  fromState?: CredentialTokenState | null;
  toState: CredentialTokenState;
  reason: StateChangeReason;
  /** Who asked: `client:<id>`, `api_key:<id>`, `self-service`, or null for the database itself. */
  actor?: string | null;
  createdAt: Date;
}

export const CredentialTokenStateChangeEntity = new EntitySchema<CredentialTokenStateChangeRow>({
  name: 'CredentialTokenStateChange',
  tableName: 'access_token_state_change',
  properties: {
    id: { type: 'bigint', primary: true, autoincrement: true },
    accessTokenId: { type: 'uuid' },
    fromState: { type: 'string', nullable: true },
    toState: { type: 'string' },
    reason: { type: 'string' },
    actor: { type: 'string', nullable: true },
    createdAt: { type: 'Date' },
  },
});
