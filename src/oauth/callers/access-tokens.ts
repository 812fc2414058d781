import { connectionEntityManager, requestEntityManager } from '../../platform/db/orm.js';
import { preparedStatement, queryPrepared } from '../../platform/db/prepared.js';
import { noteReplicatedWrite, queryPreparedReadMostly } from '../../platform/db/read-replica.js';
import { createPublicKey } from 'node:crypto';
import { createVerifier, TokenError } from 'fast-jwt';
import { decodeProtectedHeader, type JSONWebKeySet, type JWK, type JWTPayload } from 'jose';
import type { Orm } from '../../platform/db/orm.js';
import { KEY_ALGORITHMS } from '../keys/service.js';

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

/** A presented access token that is not a valid Gatehouse access token; `expired` when that is all that is wrong with it. */
export class InvalidAccessToken extends Error {
  constructor(readonly expired: boolean) {
    super(expired ? 'the access token expired' : 'the access token is invalid');
    this.name = 'InvalidAccessToken';
  }
}

/**
 * Verifies Gatehouse JWT access tokens against the provider's own published keys: signature,
 * issuer, audience, expiry, `nbf`, `typ: at+jwt` (RFC 9068 §4), the required claims, and one
 * algorithm per key, chosen by `kid` (none, an unknown kid, or another algorithm than the key's:
 * refused). No network or database call; revocation is checked separately.
 *
 * fast-jwt rather than jose here: it verifies with node:crypto on the calling thread, where jose
 * runs every verification through WebCrypto, as a job on the libuv pool wrapped in WebCrypto's
 * per-call machinery. Together those cost more than the ECDSA verification itself: 79 against
 * 53 µs of CPU per ES256 token on this machine, on the path every API request takes (README
 * Benchmarks, scenario d). Signing avoids WebCrypto too (src/oauth/keys/local-signing-key.ts).
 */
export function createAccessTokenVerifier(options: { issuer: string; audience: string; publicJwks: () => JSONWebKeySet }) {
  const verifierOf = (jwk: JWK) => {
    // Every Gatehouse key carries its algorithm (src/oauth/keys/service.ts); it is the only one it verifies.
    const algorithm = KEY_ALGORITHMS.find((known) => known === jwk.alg);
    if (!jwk.kid || !algorithm || (jwk.use && jwk.use !== 'sig')) return undefined;
    const verify = createVerifier({
      key: createPublicKey({ key: jwk as Record<string, unknown>, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string,
      algorithms: [algorithm],
      allowedIss: options.issuer,
      allowedAud: options.audience,
      checkTyp: 'at+jwt',
      requiredClaims: ['exp', 'iat', 'jti', 'sub', 'client_id'],
      // Milliseconds, unlike jose's seconds.
      clockTolerance: 5000,
      cache: false,
    });
    return [jwk.kid, verify] as const;
  };
  let jwksSource: JSONWebKeySet | undefined;
  let verifiers = new Map<string, (token: string) => unknown>();
  return async function verifyAccessToken(token: string): Promise<AccessTokenClaims> {
    const current = options.publicJwks();
    if (current !== jwksSource) {
      jwksSource = current;
      verifiers = new Map(current.keys.map(verifierOf).filter((entry) => entry !== undefined));
    }
    let kid: unknown;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      throw new InvalidAccessToken(false);
    }
    const verify = typeof kid === 'string' ? verifiers.get(kid) : undefined;
    if (!verify) throw new InvalidAccessToken(false);
    try {
      return verify(token) as AccessTokenClaims;
    } catch (error) {
      throw new InvalidAccessToken(error instanceof TokenError && error.code === TokenError.codes.expired);
    }
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
