import type { Context } from 'koa';
import { InvalidAccessToken, type AccessTokenClaims, type VerifyAccessToken } from './access-tokens.js';
import { DPOP_ALGORITHMS, DpopProofError, type DpopVerifier } from './dpop.js';
import { ApiError } from '../../platform/http/errors.js';

export type TokenScheme = 'Bearer' | 'DPoP';

export interface PresentedAccessToken {
  scheme: TokenScheme;
  token: string;
}

const REALM = 'realm="gatehouse"';
const ALGS = `algs="${DPOP_ALGORITHMS.join(' ')}"`;
/** RFC 6750 §2.1 b64token, also RFC 9449 §7.1's token68. */
const AUTHORIZATION = /^(bearer|dpop) +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** The challenge for a request with no credentials: either scheme will do (RFC 9449 §7.1). */
export const bothChallenges = `Bearer ${REALM}, DPoP ${REALM}, ${ALGS}`;

/** Descriptions are fixed strings: they go into a header, and say no more than the RFC codes do. */
export function tokenError(scheme: TokenScheme, status: 400 | 401 | 403, error: string, description: string, extra: Record<string, string> = {}): ApiError {
  const parameters = [REALM, ...(scheme === 'DPoP' ? [ALGS] : []), `error="${error}"`, `error_description="${description}"`];
  return new ApiError(status, error, description, undefined, { 'WWW-Authenticate': `${scheme} ${parameters.join(', ')}`, ...extra });
}

/**
 * The access token of `Authorization: Bearer …` or `Authorization: DPoP …`, or undefined when the
 * header names neither scheme. A header naming one of them but malformed is an error.
 */
export function presentedAccessToken(authorization: string): PresentedAccessToken | undefined {
  const scheme = /^(bearer|dpop)(\s|$)/i.exec(authorization)?.[1]?.toLowerCase();
  if (!scheme) return undefined;
  const match = AUTHORIZATION.exec(authorization);
  const named: TokenScheme = scheme === 'dpop' ? 'DPoP' : 'Bearer';
  if (!match) throw tokenError(named, 401, 'invalid_token', 'Malformed access token');
  return { scheme: named, token: match[2]! };
}

export interface AccessTokenResolverDependencies {
  /** Gatehouse's issuer: a DPoP proof's `htu` is compared with ISSUER's origin + the path, never the Host header. */
  issuer: string;
  verifyAccessToken: VerifyAccessToken;
  dpop: DpopVerifier;
  /** The bounded in-memory revocation set (resource APIs) … */
  isRevokedCached: (claims: AccessTokenClaims) => Promise<boolean>;
  /** … or the database itself (userinfo, introspection, tenant administration). */
  isRevokedNow: (claims: AccessTokenClaims) => Promise<boolean>;
}

/**
 * The one place an access token presented to Gatehouse is checked: signature, issuer, audience,
 * expiry (src/oauth/access-tokens.ts), revocation, and sender constraint. A DPoP-bound token
 * (`cnf.jkt`) is accepted only with `Authorization: DPoP` and a valid proof for this very request
 * (RFC 9449 §7); presented as Bearer it is refused, since anyone who copied it could use it.
 */
export function createAccessTokenResolver(deps: AccessTokenResolverDependencies) {
  const origin = new URL(deps.issuer).origin;

  return async function resolveAccessToken(
    ctx: Context,
    presented: PresentedAccessToken,
    options: { authoritative?: boolean } = {},
  ): Promise<AccessTokenClaims> {
    const { scheme, token } = presented;
    let claims: AccessTokenClaims;
    try {
      claims = await deps.verifyAccessToken(token);
    } catch (error) {
      throw tokenError(
        scheme,
        401,
        'invalid_token',
        error instanceof InvalidAccessToken && error.expired ? 'The access token expired' : 'The access token is invalid',
      );
    }
    const revoked = options.authoritative ? await deps.isRevokedNow(claims) : await deps.isRevokedCached(claims);
    if (revoked) throw tokenError(scheme, 401, 'invalid_token', 'The access token was revoked');

    const boundTo = (claims.cnf as { jkt?: unknown } | undefined)?.jkt;
    if (typeof boundTo === 'string') {
      if (scheme !== 'DPoP') throw tokenError('DPoP', 401, 'invalid_token', 'The access token is DPoP-bound: present it with the DPoP scheme and a proof');
      try {
        await deps.dpop.verify({
          proofs: ctx.req.headersDistinct.dpop ?? [],
          method: ctx.method,
          url: `${origin}${ctx.path}`,
          accessToken: token,
          expectedThumbprint: boundTo,
        });
      } catch (error) {
        if (!(error instanceof DpopProofError)) throw error;
        const nonce: Record<string, string> = error.error === 'use_dpop_nonce' ? { 'DPoP-Nonce': deps.dpop.currentNonce() } : {};
        throw tokenError('DPoP', 401, error.error, error.message, nonce);
      }
    } else if (scheme === 'DPoP') {
      // RFC 9449 §7.2: the DPoP scheme asserts a binding this token does not have.
      throw tokenError('DPoP', 401, 'invalid_token', 'The access token is not DPoP-bound: present it with the Bearer scheme');
    }
    return claims;
  };
}

export type ResolveAccessToken = ReturnType<typeof createAccessTokenResolver>;
