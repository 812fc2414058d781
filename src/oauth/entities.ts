import { EntitySchema } from '@mikro-orm/core';

/** One row per oidc-provider model instance (Session, Grant, AuthorizationCode, RefreshToken, …). */
export interface OidcModelRow {
  model: string;
  id: string;
  payload: Record<string, unknown>;
  grantId?: string | null;
  uid?: string | null;
  userCode?: string | null;
  expiresAt?: Date | null;
  consumedAt?: Date | null;
  /** The id, AES-GCM sealed, for models found by uid or user code (the id column holds only its hash). */
  sealedId?: string | null;
}

export const OidcModelEntity = new EntitySchema<OidcModelRow>({
  name: 'OidcModel',
  tableName: 'oidc_model',
  properties: {
    model: { type: 'string', primary: true },
    id: { type: 'string', primary: true },
    payload: { type: 'json' },
    grantId: { type: 'string', nullable: true },
    uid: { type: 'string', nullable: true },
    userCode: { type: 'string', nullable: true },
    expiresAt: { type: 'Date', nullable: true },
    consumedAt: { type: 'Date', nullable: true },
    sealedId: { type: 'text', nullable: true },
  },
});

/**
 * JWT access tokens are not stored by oidc-provider, so revoking one (RFC 7009) or its grant is
 * recorded here until the token would have expired anyway.
 */
export interface RevokedTokenRow {
  kind: 'jti' | 'grant';
  value: string;
  expiresAt: Date;
}

export const RevokedTokenEntity = new EntitySchema<RevokedTokenRow>({
  name: 'RevokedToken',
  tableName: 'revoked_token',
  properties: {
    kind: { type: 'string', primary: true },
    value: { type: 'string', primary: true },
    expiresAt: { type: 'Date' },
  },
});

/** One single-use proof (a DPoP proof's or a client assertion's `jti`) seen until it expires. */
export interface ReplayGuardRow {
  kind: string;
  value: string;
  expiresAt: Date;
}

export const ReplayGuardEntity = new EntitySchema<ReplayGuardRow>({
  name: 'ReplayGuard',
  tableName: 'replay_guard',
  properties: {
    kind: { type: 'string', primary: true },
    value: { type: 'string', primary: true },
    expiresAt: { type: 'Date' },
  },
});
