import { connectionEntityManager, requestEntityManager } from '../../platform/db/orm.js';
import { preparedStatement, queryPrepared } from '../../platform/db/prepared.js';
import { noteReplicatedWrite, queryPreparedReadMostly } from '../../platform/db/read-replica.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import type { Orm } from '../../platform/db/orm.js';

export interface AccessTokenClaims extends JWTPayload {
  jti: string;
  sub: string;
  client_id: string;
  scope?: string;
  gid?: string;
  exp: number;
  iat: number;
}

export function looksLikeJwt(token: string): boolean {
  try {
    return Boolean(decodeProtectedHeader(token));
  } catch {
    return false;
  }
}

/**
 * Verifies Gatehouse JWT access tokens against the provider's own published keys: signature,
 * issuer, audience, expiry, `nbf`, `typ: at+jwt` and an algorithm allow-list. No network or
 * database call; revocation is checked separately.
 */
export function createAccessTokenVerifier(options: { issuer: string; audience: string; publicJwks: () => JSONWebKeySet }) {
  let jwksSource = options.publicJwks();
  let keySet = createLocalJWKSet(jwksSource);
  return async function verifyAccessToken(token: string): Promise<AccessTokenClaims> {
    const current = options.publicJwks();
    if (current !== jwksSource) {
      jwksSource = current;
      keySet = createLocalJWKSet(current);
    }
    const { payload } = await jwtVerify(token, keySet, {
      issuer: options.issuer,
      audience: options.audience,
      // Whichever ACCESS_TOKEN_ALG signs, and those a change of it leaves in circulation.
      algorithms: ['RS256', 'ES256', 'EdDSA'],
      typ: 'at+jwt',
      requiredClaims: ['exp', 'iat', 'jti', 'sub', 'client_id'],
      clockTolerance: 5,
    });
    return payload as AccessTokenClaims;
  };
}

export type VerifyAccessToken = ReturnType<typeof createAccessTokenVerifier>;

const REVOKED = preparedStatement(
  'access_token_revoked',
  `select 1 as n from revoked_token where expires_at > now() and ((kind = 'jti' and value = ?) or (kind = 'grant' and value = ?)) limit 1`,
);

/**
 * Authoritative check against the primary: revoked by RFC 7009, or its grant revoked. Callers that
 * ask for the present state use it: userinfo and tenant administration (the access-token resolver's
 * `authoritative`), the revocation cache when its polls fail, device pairing.
 */
export async function isAccessTokenRevoked(orm: Orm, claims: Pick<AccessTokenClaims, 'jti' | 'gid'>): Promise<boolean> {
  const rows = await queryPrepared<{ n: number }>(connectionEntityManager(orm), REVOKED, [claims.jti, claims.gid ?? '']);
  return rows.length > 0;
}

/**
 * The same check for JWT introspection (RFC 7662) and the revocation endpoint's look-up: with
 * DATABASE_REPLICA_URL it may read the standby, so a revocation made through another node is
 * reported within DATABASE_REPLICA_MAX_LAG_MS, one made through this node at once (its write is
 * noted below and in the adapter). Introspection is the read-mostly path resource servers hammer.
 * Gatehouse's own resource routes resolve callers against the in-memory revocation cache (no read
 * per request, nothing to offload), and the authoritative checks above stay on the primary.
 */
export async function isAccessTokenRevokedForIntrospection(orm: Orm, claims: Pick<AccessTokenClaims, 'jti' | 'gid'>): Promise<boolean> {
  const rows = await queryPreparedReadMostly<{ n: number }>(orm, 'introspection', 'revocations', REVOKED, [claims.jti, claims.gid ?? '']);
  return rows.length > 0;
}

export async function revokeAccessToken(orm: Orm, claims: Pick<AccessTokenClaims, 'jti' | 'exp'>): Promise<void> {
  const em = requestEntityManager(orm);
  await em
    .getConnection()
    .execute(`insert into revoked_token (kind, value, expires_at) values ('jti', ?, ?) on conflict (kind, value) do nothing`, [
      claims.jti,
      new Date(claims.exp * 1000 + 60_000),
    ]);
  noteReplicatedWrite(orm, 'revocations');
}
